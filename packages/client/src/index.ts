export * from './http';
export * from './accounts';
export * from './plugins';
export * from './client';
export * from './protocol';
export * from './rooms';
export * from './socket';
export * from './timeline';
