export { QueueProvider } from './queue-provider.ts';
