/**
 * `elaoms replay [--dead] [--event ID] [--list] [--config PATH]`: makes queued post-call events due
 * now and delivers them to the memory backend from this process (leases keep a running server and
 * this command from delivering one event twice). `--dead` retries the dead letters, `--event ID`
 * one event whatever its state, `--list` only prints the queue and the dead letters with reasons.
 */
import { type Core, createCore } from '../../src/core.ts';
import type { PluginDefinition } from '../../src/plugin.ts';
import type { EventRow } from './event-store.ts';
import type { AgentMemoryService } from './service.ts';

export interface ReplayIo {
  out(text: string): void;
  err(text: string): void;
}

/** Thrown for a usage mistake (the CLI answers exit code 2). */
export class ReplayUsageError extends Error {}

export interface ReplayOptions {
  dead: boolean;
  id?: string;
  list: boolean;
}

/** Parses the command's flags. */
export function replayOptions(args: string[]): ReplayOptions {
  const options: ReplayOptions = { dead: false, list: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--dead') options.dead = true;
    else if (arg === '--list') options.list = true;
    else if (arg === '--event') {
      options.id = args[++i];
      if (!options.id) throw new ReplayUsageError('--event needs an event id');
    } else if (arg.startsWith('--event=')) options.id = arg.slice('--event='.length);
    else if (arg === '--config') i++;
    else if (!arg.startsWith('--config=')) throw new ReplayUsageError(`unknown argument ${arg}`);
  }
  return options;
}

function line(row: EventRow): string {
  const when = new Date(row.received_at).toISOString();
  const error = row.last_error ? `  ${row.last_error.replace(/\s+/g, ' ').slice(0, 160)}` : '';
  return `${row.id}  ${row.status.padEnd(10)} attempts ${String(row.attempts).padEnd(3)} ${when}  ${row.conversation_id}${error}\n`;
}

/** Runs the command against an already built core (tests) and returns the exit code. */
export async function replayWith(core: Core, options: ReplayOptions, io: ReplayIo): Promise<number> {
  const service = core.service<AgentMemoryService>('agent-memory');
  if (options.list) {
    for (const status of ['dead', 'pending', 'delivering'] as const) {
      for (const row of service.events.list(status, 1000)) io.out(line(row));
    }
    const c = service.events.counts();
    io.out(`pending ${c.pending}, delivering ${c.delivering}, dead ${c.dead}, delivered ${c.delivered}\n`);
    return 0;
  }
  const ids = service.replay({ dead: options.dead, id: options.id });
  if (options.id && ids.length === 0) {
    io.err(`no transcription event ${options.id} to replay\n`);
    return 1;
  }
  await service.worker.drain();
  const rows = ids.map((id) => service.events.get(id)).filter((r): r is EventRow => r !== undefined);
  const delivered = rows.filter((r) => r.status === 'delivered').length;
  for (const row of rows) if (row.status !== 'delivered') io.out(line(row));
  io.out(`replayed ${ids.length}: delivered ${delivered}, not delivered ${rows.length - delivered}\n`);
  return delivered === rows.length ? 0 : 1;
}

/** The command: builds a core with agent-memory and what it needs, from the server's config. */
export async function replayCommand(
  args: string[],
  io: ReplayIo,
  load: (plugins: PluginDefinition<any, any>[]) => Promise<Record<string, any>>,
): Promise<number> {
  const options = replayOptions(args);
  const { agentMemoryPlugin } = await import('./index.ts');
  const { cachePlugin } = await import('../cache/index.ts');
  const { headerAuthPlugin } = await import('../header-auth/index.ts');
  const { hmacAuthPlugin } = await import('../hmac-auth/index.ts');
  const { memoryPlugin } = await import('../memory/index.ts');
  const { storagePlugin } = await import('../storage/index.ts');
  const plugins = [
    hmacAuthPlugin,
    headerAuthPlugin,
    storagePlugin,
    cachePlugin,
    memoryPlugin,
    agentMemoryPlugin,
  ];
  const config = await load(plugins);
  for (const p of plugins) config[p.configKey] = { ...config[p.configKey], enabled: true };
  const core = await createCore({
    plugins,
    config,
    env: {},
    logDestination: { write: (text: string) => io.err(text) },
  });
  try {
    return await replayWith(core, options, io);
  } finally {
    await core.stop();
  }
}
