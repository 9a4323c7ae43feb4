// denialRcode: which denials are NODATA rather than NXDOMAIN (issue 20, L3).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { denialRcode } from '../../../src/dns/responses.js';

describe('denialRcode', () => {
  it('L3: a qtype, CNAME-target or root denial in an NXDOMAIN group is NODATA', () => {
    assert.equal(denialRcode('NXDOMAIN', 'qtype-not-allowed', 'api.example.com'), 'NOERROR');
    assert.equal(denialRcode('NXDOMAIN', 'cname-not-allowed target.example.org', 'a.example.com'), 'NOERROR');
    assert.equal(denialRcode('NXDOMAIN', 'not-allowlisted', '.'), 'NOERROR');
  });

  it('L3: an unlisted name stays NXDOMAIN, and a REFUSED group stays REFUSED', () => {
    assert.equal(denialRcode('NXDOMAIN', 'not-allowlisted', 'x.attacker.test'), 'NXDOMAIN');
    assert.equal(denialRcode('REFUSED', 'qtype-not-allowed', 'api.example.com'), 'REFUSED');
    assert.equal(denialRcode('REFUSED', 'cname-not-allowed t.example.org', 'a.example.com'), 'REFUSED');
  });
});
