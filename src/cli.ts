#!/usr/bin/env bun
/**
 * Command-line entry: `elaoms <command>` when installed, `bun run elaoms <command>` in a checkout.
 * A small command table; each command gets its arguments and returns an exit code. Output goes to
 * stdout, errors and log lines to stderr. Exit codes: 0 done, 1 the command failed, 2 bad usage or
 * bad configuration.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { PluginDefinition } from './plugin.ts';

// Commands import what they need when they run, so `keygen` starts fast and `sweep` alone loads the core.
/** Where a command writes. */
export interface CliIo {
  out(data: string | Uint8Array): void;
  err(text: string): void;
}

/** One entry of the command table. */
export interface CliCommand {
  usage: string;
  summary: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** Thrown by a command for a usage mistake (exit code 2). */
class UsageError extends Error {}

/** The built-in plugins. */
async function plugins(): Promise<PluginDefinition<any, any>[]> {
  return (await import('./app.ts')).builtinPlugins;
}

/** Config from file and environment, as the server reads it (`--config PATH` honoured). */
async function loadAll(args: string[]): Promise<Record<string, any>> {
  const { composeSchema, loadConfig } = await import('./config/index.ts');
  const { readEnv } = await import('./runtime.ts');
  const schema = composeSchema(await plugins());
  return loadConfig<Record<string, any>>(schema, { env: readEnv(), argv: args }).config;
}

/**
 * Runs `work` on a core built from `config` with only the plugin `name` enabled (its
 * migrations applied), its log lines on stderr, and stops the core after.
 */
async function withPlugin(
  config: Record<string, any>,
  io: { err(text: string): void },
  name: string,
  work: (core: import('./core.ts').Core) => Promise<number>,
): Promise<number> {
  const { createCore } = await import('./core.ts');
  const all = await plugins();
  for (const p of all) config[p.configKey] = { ...config[p.configKey], enabled: p.name === name };
  const core = await createCore({
    plugins: all,
    config,
    env: {},
    logDestination: { write: (line: string) => io.err(line) },
  });
  try {
    return await work(core);
  } finally {
    await core.stop();
  }
}

/** Positional arguments, skipping `--config PATH` and other flags. */
function positional(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--config') i++;
    else if (!args[i]!.startsWith('--')) out.push(args[i]!);
  }
  return out;
}

/** The value of `--name VALUE` (or `--name=VALUE`). */
function flag(args: string[], name: string): string | undefined {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i]!.includes('=') ? args[i]!.slice(args[i]!.indexOf('=') + 1) : args[i + 1];
}

/** The key part of `name:key` (or the whole entry when unnamed). */
function keyOf(entry: string | undefined): string | undefined {
  if (!entry) return undefined;
  const i = entry.indexOf(':');
  return i < 0 ? entry : entry.slice(i + 1);
}

export const commands: Record<string, CliCommand> = {
  start: {
    usage: 'start [--config PATH]',
    summary: 'Serve, as `bun run start` does in a checkout (WORKERS=N for several processes).',
    async run(args) {
      const { main } = await import('./main.ts');
      // Returns once listening; the server keeps the process alive until SIGTERM/SIGINT.
      await main(args);
      return 0;
    },
  },

  init: {
    usage: 'init [--force] [--dir DIR] [--public-url URL]',
    summary: 'Write elaoms.config.json, .env (fresh secrets) and .env.example, and print the next steps.',
    async run(args, io) {
      const { init } = await import('./cli/init.ts');
      const result = await init(
        flag(args, 'dir') ?? process.cwd(),
        args.includes('--force'),
        flag(args, 'public-url'),
      );
      io.out(`wrote ${result.files.join(', ')}\n\n${result.nextSteps}\n`);
      return 0;
    },
  },

  send: {
    usage: 'send <post-call|client-data|search> [--url URL] [--file FILE] [--config PATH]',
    summary:
      'Send a realistic, signed sample request (or a saved payload, decrypted if need be) and print status and body.',
    async run(args, io) {
      const [kind] = positional(args.filter((_arg, i) => !['--url', '--file'].includes(args[i - 1] ?? '')));
      if (!kind) throw new UsageError('send needs a kind: post-call, client-data or search');
      const config = await loadAll(args);
      const { send } = await import('./cli/send.ts');
      // Default: where this config's server listens (HOST, PORT), as its start banner prints it.
      const { displayHost } = await import('./runtime.ts');
      const url = flag(args, 'url') ?? `http://${displayHost(config.server.host)}:${config.server.port}`;
      const result = await send({
        kind,
        url,
        file: flag(args, 'file'),
        secret: config.hmacAuth?.secrets?.[0],
        apiKey: keyOf(config.headerAuth?.webhookKeys?.[0]),
        encryptionKey: config.storage?.encryptionKey,
      });
      io.out(`POST ${result.path} -> ${result.status}\n${result.body}\n`);
      return result.status >= 200 && result.status < 300 ? 0 : 1;
    },
  },

  keygen: {
    usage: 'keygen',
    summary: 'Print a new Fernet key for ENCRYPTION_KEY.',
    async run(_args, io) {
      const { generateKey } = await import('../plugins/storage/index.ts');
      io.out(`${generateKey()}\n`);
      return 0;
    },
  },

  decrypt: {
    usage: 'decrypt FILE [--config PATH]',
    summary: 'Print the plaintext of a stored file, decrypted with ENCRYPTION_KEY (any of its keys).',
    async run(args, io) {
      const [file] = positional(args);
      if (!file) throw new UsageError('decrypt needs a FILE');
      const { decryptStored, StoredFileError } = await import('./cli/stored.ts');
      const config = await loadAll(args);
      const bytes = new Uint8Array(await readFile(file));
      try {
        io.out(await decryptStored(file, bytes, config.storage?.encryptionKey));
      } catch (error) {
        if (!(error instanceof StoredFileError)) throw error;
        io.err(`${error.message}\n`);
        return 1;
      }
      return 0;
    },
  },

  replay: {
    usage: 'replay [--dead] [--event ID] [--list] [--config PATH]',
    summary: 'Deliver queued post-call events to the memory backend now (--dead: the dead letters too).',
    async run(args, io) {
      const { replayCommand, ReplayUsageError } = await import('../plugins/agent-memory/index.ts');
      const { composeSchema, loadConfig } = await import('./config/index.ts');
      const { readEnv } = await import('./runtime.ts');
      const load = async (all: PluginDefinition<any, any>[]) =>
        loadConfig<Record<string, any>>(composeSchema(all), { env: readEnv(), argv: args }).config;
      try {
        return await replayCommand(args, { out: (t) => io.out(t), err: (t) => io.err(t) }, load);
      } catch (error) {
        if (error instanceof ReplayUsageError) throw new UsageError(error.message);
        throw error;
      }
    },
  },

  reindex: {
    usage: 'reindex [--config PATH]',
    summary:
      "Rebuild the embedded memory backend's search index from its rows (after rows were restored or replaced by hand).",
    async run(args, io) {
      const config = await loadAll(args);
      const path: string = config.database.path;
      if (path !== ':memory:' && !existsSync(path)) {
        io.err(`no database at ${path}: check DATABASE_PATH or database.path\n`);
        return 2;
      }
      return await withPlugin(config, io, 'memory', async (core) => {
        const { rebuildIndex } = await import('../plugins/memory/index.ts');
        const backend = core.service<import('../plugins/memory/index.ts').MemoryBackend>('memory');
        if (backend.name !== 'embedded') {
          io.err(`reindex is for the embedded memory backend; this configuration uses ${backend.name}\n`);
          return 2;
        }
        const started = performance.now();
        rebuildIndex(core.db);
        // The whole index: with a service running, its rounds index some of the rows too.
        const indexed = (
          core.db.$client.prepare('SELECT count(*) AS n FROM memory_terms_docsize').get() as { n: number }
        ).n;
        io.out(
          `rebuilt the search index of ${indexed} memories in ${Math.round(performance.now() - started)} ms\n`,
        );
        return 0;
      });
    },
  },

  sweep: {
    usage: 'sweep [--json] [--config PATH]',
    summary: 'Run the retention sweeper once and print what it deleted.',
    async run(args, io) {
      return await withPlugin(await loadAll(args), io, 'storage', async (core) => {
        const stats = await core
          .service<import('../plugins/storage/index.ts').StorageService>('storage')
          .sweep(Date.now());
        if (args.includes('--json')) io.out(`${JSON.stringify(stats)}\n`);
        else if (stats.skipped)
          io.out(
            `sweep skipped: ${stats.skipped === 'lease' ? 'another process is sweeping' : 'already running'}\n`,
          );
        else
          io.out(
            `deleted ${stats.filesDeleted} files, freed ${stats.bytesFreed} bytes in ${stats.durationMs} ms` +
              (stats.tempFilesDeleted ? `, removed ${stats.tempFilesDeleted} stale temp files` : '') +
              (stats.errors ? `, ${stats.errors} could not be deleted` : '') +
              '\n',
          );
        return stats.errors ? 1 : 0;
      });
    },
  },
};

function help(): string {
  const width = Math.max(...Object.values(commands).map((c) => c.usage.length));
  const lines = Object.values(commands).map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`);
  return `Usage: elaoms <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nOptions:\n  --help  Show this help.\n`;
}

/** Runs one command line; returns the exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...args] = argv;
  if (!name) {
    io.err(help());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(help());
    return 0;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    io.err(`elaoms: unknown command ${JSON.stringify(name)}\n\n${help()}`);
    return 2;
  }
  if (args.includes('--help')) {
    io.out(`Usage: elaoms ${command.usage}\n\n${command.summary}\n`);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`elaoms ${name}: ${error.message}\nUsage: elaoms ${command.usage}\n`);
      return 2;
    }
    if ((error as Error)?.name === 'ConfigError') {
      io.err(`${(error as Error).message}\n`);
      return 2;
    }
    const e = error as { code?: string; message?: string };
    io.err(`elaoms ${name}: ${e.code === 'ENOENT' ? 'no such file' : (e.message ?? String(error))}\n`);
    return 1;
  }
}

const processIo: CliIo = {
  out: (data) => process.stdout.write(data),
  err: (text) => process.stderr.write(text),
};

if (import.meta.main) {
  const code = await runCli(process.argv.slice(2), processIo);
  process.exitCode = code;
}
