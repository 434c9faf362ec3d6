/**
 * How `quell run` obtains an engine and a ruleset, in one place, so the worker loop does not
 * depend on the shape of the rule compiler.
 *
 * - Rules: the main thread compiles the rules text once to validate it and print diagnostics;
 *   every worker then compiles the same text itself (compileRulesText), so nothing but a string
 *   crosses the thread seam (a compiled ruleset need not be structured-cloneable).
 * - Engine: src/engine/pipeline createEngine(), with the detection hook the rules provide.
 *   `engineModule` (quell run --engine-module, for tests and benches) replaces it with any module
 *   exporting createEngine(options): Engine.
 */
import * as path from 'path';
import type { Engine } from '../engine/types';
import { QuellError } from '../errors';
import { OpsWorker, OpsWorkerInit } from '../ops/ops-worker';
import { V_ACCEPT, V_F_FLOW } from '../io/batch';
import { warmUp, WarmupReport, WARMUP_MAX_FLOWS, WARMUP_OPS_LIMITS } from './warmup';

export interface RulesDiagnostic { severity: string; message: string; line?: number; col?: number; code?: string; text?: string }
/** A compiled ruleset (no detector: hostEngine builds those, one per engine). */
export interface CompiledRules { ruleset: unknown; diagnostics: RulesDiagnostic[]; ruleCount: number }

export class RulesError extends QuellError {
  readonly diagnostics: RulesDiagnostic[];
  constructor(code: string, message: string, diagnostics: RulesDiagnostic[] = []) {
    super(code, message);
    this.diagnostics = diagnostics;
  }
}

type Compiler = (text: string, file: string) => CompiledRules;
let compiler: Compiler | null | undefined;

/** Locate the rule compiler (signatures/). Returns null while it does not exist. */
function findCompiler(): Compiler | null {
  if (compiler !== undefined) return compiler;
  compiler = null;
  // The engine's detector (src/engine/detect.ts compileForEngine, mode 'ips': every field incl.
  // http.* / dns.*, sticky flow verdicts). Loaded on first use (it pulls in the rule compiler).
  let m: Record<string, unknown>;
  try { m = require('../engine/detect'); } catch { return compiler; }
  const fn = m.compileForEngine as Compiler | undefined;
  if (typeof fn === 'function') compiler = fn;
  return compiler;
}

export function rulesCompilerAvailable(): boolean { return findCompiler() !== null; }

/** Compile rules text; throws RulesError QUELL_E_RULES (with diagnostics) when it has errors. */
export function compileRulesText(text: string, file: string): CompiledRules {
  const c = findCompiler();
  if (!c) throw new RulesError('QUELL_E_RULES_UNAVAILABLE', 'this build has no rule compiler for inline mode yet (signatures/): run without --rules (accept all) or with --engine-module');
  const r = c(text, file);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0 || r.ruleset === null) {
    throw new RulesError('QUELL_E_RULES', `${file}: ${errors.length} error(s) in the rules`, r.diagnostics);
  }
  return r;
}

export interface EngineSpec {
  /** rules text and its file name (null: no rules, accept everything) */
  rulesText: string | null;
  rulesFile: string | null;
  engineModule: string | null;
  /** passed through to createEngine */
  engineOptions: Record<string, unknown>;
  /** operations layer (src/ops/host.ts OpsMain.workerInit): gate before the rules, shared bans/rates */
  ops?: OpsWorkerInit | null;
  /** JIT warm-up in packets before the queue is bound (src/inline/warmup.ts); 0 or absent: none */
  warmupPackets?: number;
}

export interface HostedEngine {
  engine: Engine;
  /** operations runtime of this engine (sets/bans gate, rates, pcap of drops) when EngineSpec.ops is set */
  ops?: OpsWorker | null;
  /** swap rules (already validated by the main thread); throws RulesError when they do not compile */
  reload(text: string, file: string): void;
  /** What the JIT warm-up of EngineSpec.warmupPackets did (src/inline/warmup.ts): it ran on
   *  throwaway engines of the same ruleset and options before `engine` was created. */
  warmup: WarmupReport;
  /** The warm-up's throwaway engines, referenced here so that they live as long as `engine`
   *  (see hostEngine); never used again. */
  readonly warmEngines?: readonly Engine[];
}

const NO_WARMUP: WarmupReport = { ms: 0, packets: 0, rounds: 0 };

/**
 * The engine a worker runs (`quell run`, the fan-out inspectors), with its ruleset compiled and
 * the JIT warmed up first (spec.warmupPackets).
 *
 * Order matters, and each step avoids a measured deoptimisation of the hot path:
 * - The warm-up runs BEFORE the real detector and engine are created. Objects built earlier keep
 *   the hidden classes of before the warm-up; the warm-up generalises some of their fields (an
 *   array's elements kind, a number's representation), and the first touch of such an old object
 *   afterwards (even the stats snapshot's read) migrated it and deoptimised the code that relied
 *   on the field (measured: onFlowEnd, "code dependencies", at the first stats snapshot).
 * - The warm-up's throwaway engines stay reachable for as long as the hosted engine lives.
 *   Optimised code holds weak references to objects it was specialised on (the throwaway
 *   detectors' closures among them); when those die, the next full GC marks every such function
 *   for deoptimisation at once. Measured in process (default.rules, one forced full GC after the
 *   warm-up): 64 functions deoptimised, processBatch among them, when they were dropped; none of
 *   the engine's when kept. Inline, that GC came during traffic: the first real packets ran
 *   interpreted while TurboFan recompiled on the consumer's CPU. Their tables are small
 *   (WARMUP_MAX_FLOWS flows, WARMUP_OPS_LIMITS for rates and scans): ~3 MB for both.
 */
export function hostEngine(spec: EngineSpec): HostedEngine {
  if (spec.engineModule) {
    const m = require(path.resolve(spec.engineModule)) as { createEngine: (o: Record<string, unknown>) => Engine };
    if (typeof m.createEngine !== 'function') throw new QuellError('QUELL_E_ENGINE_MODULE', `${spec.engineModule}: exports no createEngine(options)`);
    const engine = m.createEngine({ ...spec.engineOptions, rulesText: spec.rulesText, rulesFile: spec.rulesFile });
    return { engine, reload: (text) => engine.setRuleset(text), warmup: NO_WARMUP };
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const pipeline = require('../engine/pipeline') as { createEngine: (o: Record<string, unknown>) => Engine & { detect: unknown } };
  const compiled = spec.rulesText !== null ? compileRulesText(spec.rulesText, spec.rulesFile ?? '<rules>') : null;
  const ruleset = compiled?.ruleset ?? null;
  const bypass = typeof spec.engineOptions.bypassAfterBytes === 'number' ? spec.engineOptions.bypassAfterBytes : 0;
  // every detector (throwaway, real, after a reload) is made here, inline mode 'ips'
  const detector = (rs: unknown, o: object): unknown => (rs ? (require('../engine/detect') as { createDetector: (rs: unknown, o: object) => unknown }).createDetector(rs, { mode: 'ips', ...o }) : null);
  let warmup = NO_WARMUP;
  let warmKept: Engine[] = [];
  const packets = spec.warmupPackets ?? 0;
  if (packets > 0) {
    // their own detectors over the same compiled ruleset: no shared state with the real engine's
    const scratch = () => pipeline.createEngine({ ...spec.engineOptions, maxFlows: WARMUP_MAX_FLOWS, ruleset, detect: withBypass(detector(ruleset, { opsOptions: WARMUP_OPS_LIMITS }), bypass) });
    warmKept = [scratch(), scratch()];
    warmup = warmUp(warmKept, packets);
  }
  const ow = spec.ops ? new OpsWorker(spec.ops) : null;
  const engine = pipeline.createEngine({ ...spec.engineOptions, ruleset, detect: withOps(ow, detector(ruleset, {}), bypass) });
  return {
    engine, ops: ow, warmup, warmEngines: warmKept,
    reload(text: string, file: string): void {
      const c = compileRulesText(text, file);
      // setRuleset() takes effect from the next batch; the detect hook is swapped at the same point
      // because this runs between batches (the worker handles messages only between ticks).
      engine.setRuleset(c.ruleset);
      (engine as unknown as { detect: unknown }).detect = withOps(ow, detector(c.ruleset, {}), bypass);
    },
  };
}

type Detect = (pkt: unknown, slot: number, dir: number, engine: { flows: { bytes: ArrayLike<number> } }) => number;

/** withBypass, then (with --set/--allow/... given) the operations gate around it (src/ops). */
function withOps(ow: OpsWorker | null, detect: unknown, bypass: number): unknown {
  if (!ow) return withBypass(detect, bypass);
  const d = detect as { useOps?: (o: unknown) => void; attach?: unknown; stats?: unknown } | null;
  if (d && typeof d.useOps === 'function') d.useOps(ow.ops);  // share count() rates and `block` bans
  const inner = withBypass(detect, bypass) as object | null;
  if (inner && d && inner !== d) Object.assign(inner, { attach: d.attach, stats: d.stats });
  return ow.wrap(inner as never);
}

/**
 * `quell run --bypass-after BYTES` in user space: once a flow has carried BYTES (both directions,
 * wire bytes as the flow table counts them), its packets get accept + V_F_FLOW, so the connmark
 * rules of `quell iptables` keep the rest of the flow in the kernel. One add and compare per packet.
 */
export function withBypass(detect: unknown, bytes: number): unknown {
  if (!bytes) return detect;
  const inner = typeof detect === 'function' ? (detect as Detect) : null;
  const hook: Detect = (pkt, slot, dir, engine) => {
    if (slot >= 0) {
      const b = engine.flows.bytes;
      if (b[2 * slot] + b[2 * slot + 1] >= bytes) return V_ACCEPT | V_F_FLOW;
    }
    return inner ? inner(pkt, slot, dir, engine) : V_ACCEPT;
  };
  return hook;
}
