export * from './define-plugin';
export * from './hooks';
export * from './host-api';
export * from './manifest';
export * from './settings';
