// Netfilter's five hooks and how a packet's traversal (NetfilterJson) spreads over them, for the
// hook diagram: built-in chains name their hook; a user chain (nat:KUBE-SERVICES) belongs to the hook
// whose built-in chain jumped to it, i.e. the last built-in chain before it in traversal order.
import type { Hook, NetfilterJson, NatStepJson } from '../shared/report';

export const HOOKS: readonly Hook[] = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'];

/** Tables in the order they run within a hook (priority order). */
export const TABLE_ORDER = ['raw', 'mangle', 'nat', 'filter', 'security'];

export interface HookGroup {
  hook: Hook;
  passed: boolean;
  /** 1-based position in the packet's path, or null when not passed */
  order: number | null;
  chains: Array<{ table: string | null; chain: string }>;
  rules: Array<{ chain: string; rule: string; verdict?: string }>;
  nat: NatStepJson[];
}

function splitChain(text: string): { table: string | null; chain: string } {
  const i = text.indexOf(':');
  return i < 0 ? { table: null, chain: text } : { table: text.slice(0, i), chain: text.slice(i + 1) };
}

function isHook(name: string): name is Hook {
  return (HOOKS as readonly string[]).includes(name);
}

/** Groups the traversal by hook, in the fixed order of HOOKS. */
export function groupByHook(nf: NetfilterJson, nat: NatStepJson[] = []): HookGroup[] {
  const groups = new Map<Hook, HookGroup>();
  for (const hook of HOOKS) {
    const at = nf.hooks.indexOf(hook);
    groups.set(hook, {
      hook,
      passed: at >= 0,
      order: at >= 0 ? at + 1 : null,
      chains: [],
      rules: [],
      nat: [],
    });
  }
  const chainHook = new Map<string, Hook>();
  let current: Hook | null = nf.hooks[0] ?? null;
  for (const text of nf.chains ?? []) {
    const c = splitChain(text);
    if (isHook(c.chain)) current = c.chain;
    if (!current) continue;
    if (!chainHook.has(text)) chainHook.set(text, current);
    if (!chainHook.has(c.chain)) chainHook.set(c.chain, current);
    groups.get(current)?.chains.push(c);
  }
  for (const r of nf.rules ?? []) {
    const c = splitChain(r.chain);
    const hook = chainHook.get(r.chain) ?? chainHook.get(c.chain) ?? (isHook(c.chain) ? c.chain : null);
    if (hook) groups.get(hook)?.rules.push(r);
  }
  for (const step of nat) groups.get(step.hook)?.nat.push(step);
  return HOOKS.map((h) => groups.get(h) as HookGroup);
}

/** The edges of the hook diagram the packet travelled, as "FROM>TO" keys. */
export function passedEdges(hooks: Hook[]): Set<string> {
  const out = new Set<string>();
  for (let i = 1; i < hooks.length; i++) out.add(`${hooks[i - 1]}>${hooks[i]}`);
  return out;
}
