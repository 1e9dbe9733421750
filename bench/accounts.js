#!/usr/bin/env node
'use strict';
/**
 * Creates the benchmark's users, credits and API keys with the operator CLI's own commands
 * (`user:create`, `credits:grant`, `key:create` from dist/src/cli.js), run in one process against
 * one application context: spawning the CLI once per key would take ~1.8 s each.
 * If the built CLI modules cannot be loaded that way, it falls back to spawning the CLI.
 *
 *   node bench/accounts.js '<json plan>'
 *   plan: { users: [{ email, password?, credits (USD string), keys: [names] }] }
 *
 * Uses the environment of the gateway (DATABASE_URL, REDIS_URL, REDIS_KEY_PREFIX, ...), with the
 * queue workers off. Prints one JSON line: { keys: { <email>: [key, ...] } }.
 */
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist', 'src');
const plan = JSON.parse(process.argv[2] || '{"users":[]}');

function steps() {
  const out = [];
  for (const u of plan.users) {
    out.push({ cmd: 'user:create', options: { email: u.email, ...(u.password ? { password: u.password } : {}) } });
    if (u.credits) out.push({ cmd: 'credits:grant', options: { email: u.email, amount: String(u.credits), reason: 'bench' } });
    for (const name of u.keys || []) out.push({ cmd: 'key:create', options: { email: u.email, name }, keyOf: u.email });
  }
  return out;
}

function collect(keys, step, lines) {
  if (!step.keyOf) return;
  const key = lines.filter((l) => l.trim()).pop();
  if (!key || !/^sk-/.test(key.trim())) throw new Error(`key:create printed no key: ${lines.join(' | ')}`);
  (keys[step.keyOf] ||= []).push(key.trim());
}

async function inProcess() {
  require(path.join(ROOT, 'node_modules', 'reflect-metadata'));
  const { NestFactory } = require(path.join(ROOT, 'node_modules', '@nestjs', 'core'));
  const { AppModule } = require(path.join(DIST, 'app.module.js'));
  const { loadConfigOrExit } = require(path.join(DIST, 'common', 'lifecycle', 'process.js'));
  const { AppLogger, createRootLogger } = require(path.join(DIST, 'common', 'logging', 'app-logger.js'));
  const commands = [
    ...require(path.join(DIST, 'users', 'users.commands.js')).USERS_COMMANDS,
    ...require(path.join(DIST, 'keys', 'keys.commands.js')).KEYS_COMMANDS,
    ...require(path.join(DIST, 'credits', 'credits.commands.js')).CREDITS_COMMANDS,
  ];
  const todo = steps();
  for (const step of todo) if (!commands.some((c) => c.name === step.cmd)) throw new Error(`no CLI command ${step.cmd}`);
  const config = loadConfigOrExit();
  const logger = new AppLogger(createRootLogger('warn'));
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, logger), { logger: false });
  const keys = {};
  try {
    for (const step of todo) {
      const command = commands.find((c) => c.name === step.cmd);
      const lines = [];
      const code = await command.run({ config, options: step.options, positionals: [], app, out: (l) => lines.push(l) });
      if (code !== 0) throw new Error(`${step.cmd} exited ${code}: ${lines.join(' | ')}`);
      collect(keys, step, lines);
    }
  } finally {
    await app.close();
  }
  return keys;
}

function viaCli() {
  const keys = {};
  for (const step of steps()) {
    const args = [path.join(DIST, 'cli.js'), step.cmd];
    for (const [k, v] of Object.entries(step.options)) args.push(`--${k}`, v);
    const out = execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    collect(keys, step, out.split('\n'));
  }
  return keys;
}

async function main() {
  let keys;
  try {
    keys = await inProcess();
  } catch (err) {
    if (!/Cannot find module|is not a function|is not iterable|no CLI command/.test(String(err && err.message))) throw err;
    process.stderr.write(`accounts: in-process CLI unavailable (${err.message}); spawning the CLI per command\n`);
    keys = viaCli();
  }
  process.stdout.write(`${JSON.stringify({ keys })}\n`);
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
