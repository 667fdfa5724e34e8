export { startDocstore, type Docstore, type DocstoreOptions } from './server';
