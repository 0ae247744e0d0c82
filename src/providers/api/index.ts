export { ApiProvider } from './api-provider.ts';
