#!/usr/bin/env node
// Bin shim: runs the TypeScript entry through tsx, so `npx dnsward` works from a checkout without a build.
import { register } from 'tsx/esm/api';
register();
await import('../src/main.ts');
