// deploy/kubernetes/: schema validation of every manifest, and the cross-checks a schema cannot make.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, posix, relative, resolve } from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import ts from 'typescript';
import { parse, parseAllDocuments } from 'yaml';

const REPO = resolve(import.meta.dirname, '..', '..');
const K8S_ROOT = join(REPO, 'deploy', 'kubernetes');
const K8S = join(K8S_ROOT, 'base');
const FLEET = join(K8S_ROOT, 'fleet');

// ---- shapes we read (after schema validation) ----------------------------------------------------
type Labels = Record<string, string>;
interface Meta {
  name: string;
  namespace?: string;
  labels?: Labels;
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: Meta;
  [key: string]: unknown;
}
interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}
interface Probe {
  httpGet?: { path?: string; port: number | string };
}
interface Container {
  name: string;
  image?: string;
  args?: string[];
  ports?: ContainerPort[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean; subPath?: string }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
  }[];
}
interface PodSpec {
  containers: Container[];
  dnsPolicy?: string;
  dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    seccompProfile?: { type: string };
    sysctls?: { name: string; value: string }[];
  };
  volumes?: {
    name: string;
    configMap?: { name: string };
    emptyDir?: { sizeLimit?: string; medium?: string };
  }[];
}
interface Deployment extends K8sObject {
  spec: {
    replicas?: number;
    selector: { matchLabels?: Labels };
    template: { metadata: { labels?: Labels }; spec: PodSpec };
  };
}
interface Service extends K8sObject {
  spec: {
    clusterIP?: string;
    selector?: Labels;
    sessionAffinity?: string;
    ports: { port: number; targetPort?: number | string; protocol?: string }[];
  };
}
interface Peer {
  namespaceSelector?: { matchLabels?: Labels };
  podSelector?: { matchLabels?: Labels };
  ipBlock?: { cidr: string };
}
interface PolicyPort {
  protocol?: string;
  port?: number | string;
}
interface NetworkPolicy extends K8sObject {
  spec: {
    podSelector: { matchLabels?: Labels };
    policyTypes?: string[];
    ingress?: { from?: Peer[]; ports?: PolicyPort[] }[];
    egress?: { to?: Peer[]; ports?: PolicyPort[] }[];
  };
}
interface Kustomization {
  resources: string[];
  configMapGenerator?: { name: string; namespace?: string; files: string[] }[];
  generatorOptions?: { disableNameSuffixHash?: boolean; labels?: Labels };
  images?: { name: string; newName?: string; newTag?: string }[];
}
interface DnswardConfig {
  listen: { udp: string[]; tcp: string[] };
  groups: { name: string; allowlists?: string[] }[];
  store: { path: string };
  metrics: { listen: string };
}

interface Manifest {
  /** repository-relative file, "#index" for multi-document files */
  readonly source: string;
  readonly object: K8sObject;
}

// ---- loading -------------------------------------------------------------------------------------
function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'config' ? [] : yamlFilesUnder(path);
    return /\.ya?ml$/.test(entry.name) && entry.name !== 'kustomization.yaml' ? [path] : [];
  });
}

function loadManifests(file: string): Manifest[] {
  const documents = parseAllDocuments(readFileSync(file, 'utf8'));
  return documents
    .map((document, index) => {
      assert.equal(document.errors.length, 0, `${file}#${index}: ${document.errors.join('; ')}`);
      return { source: `${relative(REPO, file)}#${index}`, object: document.toJS() as K8sObject };
    })
    .filter((manifest) => (manifest.object as unknown) !== null);
}

const kustomization = parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')) as Kustomization;
const baseFiles = kustomization.resources.map((resource) => join(K8S, resource));
const exampleFiles = yamlFilesUnder(join(K8S_ROOT, 'examples'));

/** configMapGenerator rendered the way kustomize does it (keys = file basenames). */
const generated: Manifest[] = (kustomization.configMapGenerator ?? []).map((generator) => ({
  source: `deploy/kubernetes/base/kustomization.yaml configMapGenerator ${generator.name}`,
  object: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: generator.name,
      ...(generator.namespace === undefined ? {} : { namespace: generator.namespace }),
      ...(kustomization.generatorOptions?.labels ? { labels: kustomization.generatorOptions.labels } : {}),
    },
    data: Object.fromEntries(
      generator.files.map((file) => [basename(file), readFileSync(join(K8S, file), 'utf8')]),
    ),
  },
}));

const base = baseFiles.flatMap(loadManifests);
const examples = exampleFiles.flatMap(loadManifests);
const all = [...base, ...generated, ...examples];

function find(manifests: readonly Manifest[], kind: string, name: string): K8sObject {
  const found = manifests.find((m) => m.object.kind === kind && m.object.metadata.name === name);
  assert.ok(found, `${kind}/${name} not found`);
  return found.object;
}

function selects(selector: Labels | undefined, labels: Labels | undefined): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);
}

function namespaceLabels(name: string): Labels {
  // the API server adds kubernetes.io/metadata.name to every namespace
  const namespace = all.find((m) => m.object.kind === 'Namespace' && m.object.metadata.name === name);
  return { ...(namespace?.object.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
}

function portOf(hostPort: string): number {
  return Number(/:(\d+)$/.exec(hostPort)?.[1] ?? NaN);
}

/** A tool or package the test needs: missing -> the test fails naming what to install (no silent skips). */
function unavailable(t: TestContext, reason: string): void {
  assert.fail(`${reason}: run .ci/install-tools.sh`);
}

// ---- schema validation with kubernetes-models ----------------------------------------------------
interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/** "apps/v1" Deployment -> kubernetes-models/apps/v1/Deployment; the core group "v1" -> kubernetes-models/v1/Service. */
function modelModule(object: K8sObject): string {
  return `kubernetes-models/${object.apiVersion}/${object.kind}`;
}

async function importModel(object: K8sObject): Promise<ModelClass> {
  const specifier = modelModule(object);
  const module = (await import(specifier)) as Record<string, unknown>;
  const model = module[object.kind];
  assert.equal(typeof model, 'function', `${specifier} has no ${object.kind} model`);
  return model as ModelClass;
}

/** Unknown fields (a typo such as readOnlyRootFileSystem) pass JSON-schema validation, as Kubernetes'
 * OpenAPI schemas allow extra properties; TypeScript's excess-property check on the models' types catches them. */
function excessPropertyErrors(manifests: readonly Manifest[]): string[] {
  const file = join(REPO, 'test', 'deploy', '__manifests_typecheck__.ts');
  const lines: string[] = [];
  const ranges: { from: number; source: string }[] = [];
  manifests.forEach((manifest, index) => {
    lines.push(
      `import type { I${manifest.object.kind} as T${index} } from '${modelModule(manifest.object)}';`,
    );
  });
  let lineCount = lines.length;
  manifests.forEach((manifest, index) => {
    const declaration = `export const m${index}: T${index} = ${JSON.stringify(manifest.object, null, 2)};`;
    ranges.push({ from: lineCount, source: manifest.source });
    lines.push(declaration);
    lineCount += declaration.split('\n').length;
  });
  const text = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === file ? ts.createSourceFile(name, text, language) : getSourceFile(name, language, ...rest);
  host.fileExists = (name) => name === file || fileExists(name);
  host.readFile = (name) => (name === file ? text : readFile(name));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    if (diagnostic.file?.fileName !== file || diagnostic.start === undefined) return message;
    const line = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line;
    const range = ranges.filter((r) => r.from <= line).at(-1);
    return `${range?.source ?? 'imports'}: ${message}`;
  });
}

describe('deploy/kubernetes manifests', () => {
  let models = true;
  before(async () => {
    try {
      // a variable specifier: the package is optional, so TypeScript must not resolve it statically
      const probe = 'kubernetes-models/v1/Service';
      await import(probe);
    } catch {
      models = false;
    }
  });

  it('kustomization: every resource and generator file exists; every manifest of base/ is listed', () => {
    assert.deepEqual(
      new Set(yamlFilesUnder(K8S)),
      new Set(baseFiles),
      'base/ manifests = kustomization resources',
    );
    assert.ok(exampleFiles.length > 0);
    const configFiles = readdirSync(join(K8S, 'config')).map((name) => posix.join('config', name));
    const generatedFiles = (kustomization.configMapGenerator ?? []).flatMap((g) => g.files);
    assert.deepEqual(
      new Set(generatedFiles),
      new Set(configFiles),
      'every file in config/ goes into the ConfigMap',
    );
    assert.equal(
      kustomization.generatorOptions?.disableNameSuffixHash,
      true,
      'stable ConfigMap name: hot reload',
    );
  });

  it('every manifest validates against the Kubernetes OpenAPI schema (kubernetes-models)', async (t) => {
    if (!models) {
      unavailable(t, 'kubernetes-models not installed (npm install --save-dev kubernetes-models@^4.5.1)');
      return;
    }
    const failures: string[] = [];
    for (const manifest of all) {
      const Model = await importModel(manifest.object);
      try {
        new Model(manifest.object).validate();
      } catch (error) {
        failures.push(
          `${manifest.source} ${manifest.object.kind}/${manifest.object.metadata.name}: ${String(error)}`,
        );
      }
    }
    assert.deepEqual(failures, []);
  });

  it('no manifest has a field its kind does not define (strict, like kubeconform -strict)', (t) => {
    if (!models) {
      unavailable(t, 'kubernetes-models not installed (npm install --save-dev kubernetes-models@^4.5.1)');
      return;
    }
    assert.deepEqual(excessPropertyErrors(all), []);
  });

  it('every namespaced object is in a namespace the manifests create', () => {
    const namespaces = new Set(
      all.filter((m) => m.object.kind === 'Namespace').map((m) => m.object.metadata.name),
    );
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
    for (const { source, object } of all) {
      if (clusterScoped.has(object.kind)) continue;
      assert.ok(
        object.metadata.namespace && namespaces.has(object.metadata.namespace),
        `${source}: namespace`,
      );
    }
  });

  describe('dnsward Deployment', () => {
    const deployment = find(base, 'Deployment', 'dnsward') as Deployment;
    const pod = deployment.spec.template.spec;
    const podLabels = deployment.spec.template.metadata.labels;
    const container = pod.containers.find((c) => c.name === 'dnsward');
    assert.ok(container);
    const args = container.args ?? [];
    const configPath = args[args.indexOf('--config') + 1] ?? '';
    const configMount = container.volumeMounts?.find((m) => m.mountPath === posix.dirname(configPath));
    const configVolume = pod.volumes?.find((v) => v.name === configMount?.name);
    const configMap = find(generated, 'ConfigMap', configVolume?.configMap?.name ?? '(none)') as K8sObject & {
      data: Record<string, string>;
    };
    const generator = kustomization.configMapGenerator?.find((g) => g.name === configMap.metadata.name);
    const configFile = join(
      K8S,
      generator?.files.find((f) => basename(f) === posix.basename(configPath)) ?? '(none)',
    );
    const config = parse(configMap.data[posix.basename(configPath)] ?? '') as DnswardConfig;

    it('runs 2+ replicas whose selector matches the pod template', () => {
      assert.ok((deployment.spec.replicas ?? 1) >= 2);
      assert.ok(selects(deployment.spec.selector.matchLabels, podLabels));
      assert.equal(configMap.metadata.namespace, deployment.metadata.namespace);
    });

    it('is non-root with a read-only root filesystem and no capabilities', () => {
      const podSecurity = pod.securityContext;
      assert.ok(podSecurity, 'pod securityContext');
      assert.equal(podSecurity.runAsNonRoot, true);
      assert.notEqual(podSecurity.runAsUser, 0);
      assert.equal(podSecurity.seccompProfile?.type, 'RuntimeDefault');
      for (const c of pod.containers) {
        const security = c.securityContext;
        assert.ok(security, `${c.name}: securityContext`);
        assert.equal(security.allowPrivilegeEscalation, false, c.name);
        assert.equal(security.readOnlyRootFilesystem, true, c.name);
        assert.notEqual(security.privileged, true, c.name);
        assert.deepEqual(security.capabilities?.drop, ['ALL'], c.name);
        assert.equal(security.capabilities.add, undefined, c.name);
        const resources = c.resources;
        assert.ok(resources, `${c.name}: resources`);
        for (const key of ['cpu', 'memory']) {
          assert.ok(resources.requests?.[key], `${c.name}: requests.${key}`);
          assert.ok(resources.limits?.[key], `${c.name}: limits.${key}`);
        }
      }
    });

    it('can bind its DNS port unprivileged: the sysctl covers every listen port', () => {
      const sysctl = pod.securityContext?.sysctls?.find(
        (s) => s.name === 'net.ipv4.ip_unprivileged_port_start',
      );
      const ports = [...config.listen.udp, ...config.listen.tcp].map(portOf);
      assert.ok(
        sysctl && Number(sysctl.value) <= Math.min(...ports),
        'ip_unprivileged_port_start <= listen ports',
      );
      const declared = (protocol: string): number[] =>
        (container.ports ?? [])
          .filter((p) => (p.protocol ?? 'TCP') === protocol && p.name?.startsWith('dns'))
          .map((p) => p.containerPort);
      assert.deepEqual(declared('UDP'), config.listen.udp.map(portOf));
      assert.deepEqual(declared('TCP'), config.listen.tcp.map(portOf));
    });

    it('probes /readyz (readiness) and /healthz (liveness) on the metrics port of the config', () => {
      const metricsPort = portOf(config.metrics.listen);
      const resolvePort = (port: number | string | undefined): number | undefined =>
        typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort;
      assert.equal(container.readinessProbe?.httpGet?.path, '/readyz');
      assert.equal(container.livenessProbe?.httpGet?.path, '/healthz');
      assert.equal(resolvePort(container.readinessProbe.httpGet.port), metricsPort);
      assert.equal(resolvePort(container.livenessProbe.httpGet.port), metricsPort);
      assert.ok(config.metrics.listen.startsWith('0.0.0.0:'), 'the kubelet probes the pod IP, not loopback');
    });

    it('mounts the ConfigMap as a directory (no subPath) holding the config and its allowlists', () => {
      assert.ok(configMount, `no mount at ${posix.dirname(configPath)}`);
      assert.equal(configMount.subPath, undefined, 'a subPath mount never sees ConfigMap updates');
      assert.equal(configMount.readOnly, true);
      assert.ok(
        posix.basename(configPath) in configMap.data,
        `${configPath} is a key of ${configMap.metadata.name}`,
      );
      for (const group of config.groups) {
        for (const allowlist of group.allowlists ?? []) {
          assert.ok(!allowlist.includes('/'), `${allowlist}: the ConfigMap is flat`);
          assert.ok(allowlist in configMap.data, `${allowlist} is in the ConfigMap`);
        }
      }
    });

    it('has writable emptyDirs for the DB directory and /tmp, nothing else writable', () => {
      const writable = (container.volumeMounts ?? []).filter((m) => m.readOnly !== true);
      const dbDir = posix.dirname(config.store.path);
      assert.deepEqual(writable.map((m) => m.mountPath).sort(), [dbDir, '/tmp'].sort());
      for (const mount of writable) {
        const volume = pod.volumes?.find((v) => v.name === mount.name);
        assert.ok(volume?.emptyDir?.sizeLimit, `${mount.mountPath}: emptyDir with a sizeLimit`);
      }
    });

    it('its config passes `dnsward config check` (the file the ConfigMap is generated from)', () => {
      const result = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'src/main.ts', 'config', 'check', '--config', configFile],
        { cwd: REPO, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } },
      );
      assert.equal(result.status, 0, `config check failed:\n${result.stdout}${result.stderr}`);
    });

    it('reloads when the kubelet swaps the ConfigMap (`..data` symlink), and keeps the last good policy on a bad edit', async (t) => {
      // The kubelet's atomic writer: files are symlinks into ..data, ..data points at a timestamped directory,
      // and an update is a new directory plus a rename of ..data. The files themselves are never written.
      const mount = mkdtempSync(join(tmpdir(), 'dnsward-configmap-'));
      const data = mkdtempSync(join(tmpdir(), 'dnsward-emptydir-'));
      t.after(() => {
        rmSync(mount, { recursive: true, force: true });
        rmSync(data, { recursive: true, force: true });
      });
      let generation = 0;
      const publish = (data: Record<string, string>): void => {
        generation += 1;
        const version = `..2026_11_01_00_00_0${generation}.000000000`;
        mkdirSync(join(mount, version));
        for (const [key, value] of Object.entries(data)) writeFileSync(join(mount, version, key), value);
        symlinkSync(version, join(mount, '..data_tmp'));
        renameSync(join(mount, '..data_tmp'), join(mount, '..data'));
        for (const key of Object.keys(data)) {
          try {
            symlinkSync(join('..data', key), join(mount, key));
          } catch {
            // the link exists from the first generation and keeps pointing into ..data
          }
        }
        for (const entry of readdirSync(mount)) {
          if (entry.startsWith('..2') && entry !== version) rmSync(join(mount, entry), { recursive: true });
        }
      };
      publish(configMap.data);

      // the Deployment's args, with the pod-only addresses moved to loopback
      const child = spawn(
        process.execPath,
        [
          join(REPO, 'bin', 'dnsward.js'),
          ...args.slice(0, args.indexOf('--config')),
          '--config',
          join(mount, posix.basename(configPath)),
          '--listen',
          '127.0.0.1:0',
          '--metrics',
          '127.0.0.1:0',
          '--upstream',
          '127.0.0.1:9',
          '--db',
          join(data, 'dnsward.db'),
        ],
        {
          cwd: REPO,
          env: { ...process.env, NODE_OPTIONS: '', TSX_DISABLE_CACHE: '1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      t.after(() => {
        if (child.exitCode === null) child.kill('SIGKILL');
      });
      const waitFor = async (pattern: RegExp, what: string): Promise<void> => {
        const deadline = Date.now() + 20_000;
        while (!pattern.test(output) && Date.now() < deadline && child.exitCode === null) {
          await new Promise((done) => setTimeout(done, 50));
        }
        assert.match(output, pattern, `${what}:\n${output}`);
      };
      await waitFor(/"msg":"dnsward listening"/, 'dnsward did not start');

      const allowlistKey =
        Object.keys(configMap.data).find((key) => key !== posix.basename(configPath)) ?? '';
      const allowlist = configMap.data[allowlistKey] ?? '';
      const added = `${allowlist.trimEnd()}\n  - domain: reload-check.example.org\n    justification: "reload check (deploy test)"\n    owner: platform-qa\n    added: 2026-11-01\n`;
      publish({ ...configMap.data, [allowlistKey]: added });
      await waitFor(/"msg":"policy reloaded"/, 'no reload after the ..data swap');

      publish({ ...configMap.data, [allowlistKey]: `${added}  - domain: "not a domain"\n` });
      await waitFor(/"msg":"reload failed; keeping the last good policy"/, 'a bad edit was not reported');
      child.kill('SIGTERM');
    });

    it('the Service serves 53/UDP and 53/TCP to the named DNS ports of these pods', () => {
      const service = find(base, 'Service', 'dnsward') as Service;
      assert.equal(service.metadata.namespace, deployment.metadata.namespace);
      assert.ok(selects(service.spec.selector, podLabels));
      assert.equal(service.spec.sessionAffinity, 'ClientIP');
      const byProtocol = new Map(service.spec.ports.map((p) => [p.protocol ?? 'TCP', p]));
      for (const protocol of ['UDP', 'TCP']) {
        const port = byProtocol.get(protocol);
        assert.equal(port?.port, 53, `${protocol} 53`);
        const target: ContainerPort | undefined = container.ports?.find(
          (p) => p.name === port.targetPort || p.containerPort === port.targetPort,
        );
        assert.equal(
          target?.protocol ?? 'TCP',
          protocol,
          `${protocol} targetPort ${String(port.targetPort)}`,
        );
      }
    });

    it('the dnsward NetworkPolicy selects these pods and allows egress only to DNS upstreams and the API', () => {
      const policy = find(base, 'NetworkPolicy', 'dnsward') as NetworkPolicy;
      assert.ok(selects(policy.spec.podSelector.matchLabels, podLabels));
      assert.deepEqual(new Set(policy.spec.policyTypes), new Set(['Ingress', 'Egress']));
      const egressPorts = (policy.spec.egress ?? []).flatMap((rule) => rule.ports ?? []);
      assert.ok(egressPorts.length > 0);
      for (const port of egressPorts)
        assert.ok(
          [53, 443, 6443].includes(Number(port.port)),
          'egress only to DNS (53) and the API (443/6443)',
        );
      assert.ok(
        (policy.spec.egress ?? []).every((rule) => (rule.to ?? []).length > 0),
        'every egress rule names its peers',
      );
      const agentRule = policy.spec.ingress?.find((rule) => (rule.ports ?? []).some((p) => p.port === 53));
      assert.ok(agentRule, 'ingress on 53');
      assert.deepEqual(new Set(agentRule.ports?.map((p) => p.protocol)), new Set(['UDP', 'TCP']));
    });
  });

  describe('agents', () => {
    const deployment = find(base, 'Deployment', 'dnsward') as Deployment;
    const dnswardPodLabels = deployment.spec.template.metadata.labels;
    const dnswardNamespace = deployment.metadata.namespace ?? '';
    const service = find(base, 'Service', 'dnsward') as Service;
    const egress = find(base, 'NetworkPolicy', 'agent-egress-policy') as NetworkPolicy;
    const agent = find(examples, 'Deployment', 'example-agent') as Deployment;
    const agentPod = agent.spec.template.spec;

    it('agent egress: only dnsward on 53 UDP+TCP and the egress proxy on TCP 3128', () => {
      assert.deepEqual(egress.spec.policyTypes, ['Egress']);
      assert.equal(egress.spec.egress?.length, 2);
      const dnsRule = egress.spec.egress.find((rule) => rule.ports?.some((p) => p.port === 53));
      const proxyRule = egress.spec.egress.find((rule) => rule.ports?.some((p) => p.port === 3128));
      assert.ok(dnsRule && proxyRule);
      assert.deepEqual(
        new Set(dnsRule.ports?.map((p) => `${p.protocol ?? 'TCP'}/${String(p.port)}`)),
        new Set(['UDP/53', 'TCP/53']),
      );
      assert.deepEqual(
        proxyRule.ports?.map((p) => `${p.protocol ?? 'TCP'}/${String(p.port)}`),
        ['TCP/3128'],
      );
      assert.equal(dnsRule.to?.length, 1);
      const peer = dnsRule.to[0];
      assert.ok(
        selects(peer?.namespaceSelector?.matchLabels, namespaceLabels(dnswardNamespace)),
        'dnsward namespace',
      );
      assert.ok(
        peer?.podSelector?.matchLabels && selects(peer.podSelector.matchLabels, dnswardPodLabels),
        'dnsward pods',
      );
      assert.ok(!peer.ipBlock);
      assert.equal(proxyRule.to?.[0]?.podSelector?.matchLabels?.role, 'egress-proxy');
    });

    it('the agent namespace denies everything by default', () => {
      const deny = base.find(
        (m) =>
          m.object.kind === 'NetworkPolicy' &&
          m.object.metadata.namespace === egress.metadata.namespace &&
          Object.keys((m.object as NetworkPolicy).spec.podSelector.matchLabels ?? {}).length === 0,
      );
      assert.ok(deny, 'a default-deny policy with an empty podSelector');
      const spec = (deny.object as NetworkPolicy).spec;
      assert.deepEqual(new Set(spec.policyTypes), new Set(['Ingress', 'Egress']));
      assert.equal(spec.ingress, undefined);
      assert.equal(spec.egress, undefined);
    });

    it('the example agent is selected by the policy and resolves only through dnsward, ndots <= 2', () => {
      assert.equal(agent.metadata.namespace, egress.metadata.namespace);
      assert.ok(selects(egress.spec.podSelector.matchLabels, agent.spec.template.metadata.labels));
      const ingress = (find(base, 'NetworkPolicy', 'dnsward') as NetworkPolicy).spec.ingress ?? [];
      assert.ok(
        ingress.some((rule) =>
          (rule.from ?? []).some(
            (peer) =>
              selects(peer.namespaceSelector?.matchLabels, namespaceLabels(agent.metadata.namespace ?? '')) &&
              selects(peer.podSelector?.matchLabels, agent.spec.template.metadata.labels),
          ),
        ),
        "dnsward's ingress admits the agent",
      );
      assert.equal(agentPod.dnsPolicy, 'None');
      assert.ok(service.spec.clusterIP, 'the dnsward Service has a fixed clusterIP');
      const dnsConfig = agentPod.dnsConfig;
      assert.ok(dnsConfig, 'dnsConfig');
      assert.deepEqual(dnsConfig.nameservers, [service.spec.clusterIP]);
      const ndots = dnsConfig.options?.find((o) => o.name === 'ndots');
      assert.ok(ndots && Number(ndots.value) <= 2, 'ndots lowered from the default 5');
      assert.deepEqual(dnsConfig.searches ?? [], [], 'no search list: nothing to expand');
    });
  });

  it('`kubectl kustomize deploy/kubernetes` is the base', () => {
    const render = (dir: string): string => {
      const result = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
      assert.equal(result.status, 0, result.stderr);
      return result.stdout;
    };
    assert.equal(render(K8S_ROOT), render(K8S));
  });

  it('the fleet overlay: the store from the Secret, rows named by the pod, no query log on the pod, egress to PostgreSQL', () => {
    const result = spawnSync('kubectl', ['kustomize', FLEET], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(result.status, 0, result.stderr);
    const rendered = parseAllDocuments(result.stdout).map((d) => d.toJS() as K8sObject);
    const deployment = rendered.find((o) => o.kind === 'Deployment' && o.metadata.name === 'dnsward') as
      Deployment | undefined;
    assert.ok(deployment);
    assert.ok((deployment.spec.replicas ?? 1) >= 2, 'a fleet: two or more replicas');
    const pod = deployment.spec.template.spec;
    const container = pod.containers.find((c) => c.name === 'dnsward');
    assert.ok(container);
    const args = container.args ?? [];
    assert.equal(args[args.indexOf('--db') + 1], '$(DNSWARD_STORE_URL)');
    const env = new Map((container.env ?? []).map((e) => [e.name, e]));
    assert.deepEqual(env.get('DNSWARD_STORE_URL')?.valueFrom?.secretKeyRef, {
      name: 'dnsward-postgres',
      key: 'url',
    });
    assert.deepEqual(env.get('PGPASSWORD')?.valueFrom?.secretKeyRef, {
      name: 'dnsward-postgres',
      key: 'password',
    });
    assert.deepEqual(env.get('POD_NAME')?.valueFrom?.fieldRef, { fieldPath: 'metadata.name' });
    assert.ok(env.has('NODE_OPTIONS'), 'the base env is kept');
    assert.deepEqual(
      (pod.volumes ?? []).filter((v) => v.emptyDir && v.emptyDir.medium !== 'Memory').map((v) => v.name),
      [],
      'no disk-backed emptyDir: the query log is in PostgreSQL',
    );
    assert.ok(!(container.volumeMounts ?? []).some((m) => m.mountPath === '/var/lib/dnsward'));
    const mounted = new Set((container.volumeMounts ?? []).map((m) => m.name));
    assert.deepEqual(
      new Set((pod.volumes ?? []).map((v) => v.name)),
      mounted,
      'every volume mounted, none dangling',
    );
    const policy = rendered.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'dnsward') as
      NetworkPolicy | undefined;
    assert.ok(
      policy?.spec.egress?.some((rule) => rule.ports?.some((p) => p.port === 5432 && p.protocol === 'TCP')),
    );
    // the Secret's example names the keys the Deployment reads
    const secret = parse(readFileSync(join(FLEET, 'postgres-secret.example.yaml'), 'utf8')) as {
      metadata: Meta;
      stringData: Record<string, string>;
    };
    assert.equal(secret.metadata.name, 'dnsward-postgres');
    assert.deepEqual(Object.keys(secret.stringData).sort(), ['password', 'url']);
    assert.match(secret.stringData.url ?? '', /^postgres:\/\//);
  });

  it('`kubectl kustomize` renders the same objects', () => {
    const result = spawnSync('kubectl', ['kustomize', K8S], { encoding: 'utf8', timeout: 60_000 });
    assert.ifError(result.error);
    assert.equal(result.status, 0, result.stderr);
    const rendered = parseAllDocuments(result.stdout).map((d) => d.toJS() as K8sObject);
    const key = (o: K8sObject): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    assert.deepEqual(new Set(rendered.map(key)), new Set([...base, ...generated].map((m) => key(m.object))));
    for (const manifest of generated) {
      const ours = manifest.object as K8sObject & { data: unknown };
      const theirs = rendered.find((o) => key(o) === key(ours)) as
        (K8sObject & { data: unknown }) | undefined;
      assert.deepEqual(theirs?.data, ours.data);
    }
    const image = kustomization.images?.find((i) => i.name === 'dnsward');
    const deployment = rendered.find((o) => key(o) === 'Deployment/dnsward/dnsward') as
      Deployment | undefined;
    assert.equal(
      deployment?.spec.template.spec.containers[0]?.image,
      `${image?.newName ?? 'dnsward'}:${image?.newTag ?? ''}`,
    );
  });
});
