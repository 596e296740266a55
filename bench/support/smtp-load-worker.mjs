// Worker entry: loads the TypeScript load client through tsx.
import { register } from 'tsx/esm/api';
register();
await import('./smtp-load-client.ts');
