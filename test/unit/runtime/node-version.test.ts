// The tests run on the supported runtime the project installs (tools/ensure-node.sh), never on a silent fallback.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

describe('runtime', () => {
  it('is the Node.js major that package.json engines asks for, or newer', () => {
    const engines = (JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } })
      .engines.node;
    const minimum = Number(/>=\s*(\d+)/.exec(engines)?.[1]);
    assert.ok(minimum >= 24, `engines.node is ${engines}`);
    const major = Number(process.versions.node.split('.')[0]);
    assert.ok(major >= minimum, `running on ${process.version}, engines asks for ${engines}`);
  });
});
