// The rule set, in evaluation order: hard per-query markers first, then lexical, then volume.
import type { Detector } from './detector.js';
import { beacon } from './detectors/beacon.js';
import { domainSpread } from './detectors/domain-spread.js';
import { dohBypass } from './detectors/doh-bypass.js';
import { encodedVolume } from './detectors/encoded-volume.js';
import { fakeTldLongLabel } from './detectors/fake-tld-long-label.js';
import { lexicalAnomaly } from './detectors/lexical-anomaly.js';
import { nonLdhLabel } from './detectors/non-ldh-label.js';
import { nullQtype } from './detectors/null-qtype.js';
import { nxdomainRatio } from './detectors/nxdomain-ratio.js';
import { rareQtype } from './detectors/rare-qtype.js';
import { rateLimited } from './detectors/rate-limited.js';
import { rateSpike } from './detectors/rate-spike.js';
import { subdomainVolume } from './detectors/subdomain-volume.js';
import { tier1Query } from './detectors/tier1-query.js';
import { tunnelToolMarker } from './detectors/tunnel-tool-marker.js';
import { txtNullBurst } from './detectors/txt-null-burst.js';
import { uniqueSubdomains } from './detectors/unique-subdomains.js';

export const DETECTORS: readonly Detector[] = [
  tier1Query,
  dohBypass,
  nullQtype,
  rareQtype,
  nonLdhLabel,
  tunnelToolMarker,
  fakeTldLongLabel,
  lexicalAnomaly,
  uniqueSubdomains,
  encodedVolume,
  subdomainVolume,
  domainSpread,
  beacon,
  txtNullBurst,
  nxdomainRatio,
  rateSpike,
  rateLimited,
];
