// Worker entry: loads the TypeScript system under test through tsx.
import { register } from 'tsx/esm/api';
register();
await import('./system-thread.ts');
