// Worker entry of the fuzzer (`run.ts`): loads the TypeScript worker through tsx.
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
