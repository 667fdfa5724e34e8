#!/usr/bin/env node
/**
 * palaver-plugin: create a plugin from the template, validate a built plugin the way the server will,
 * pack it for installation.
 *
 *   palaver-plugin create <dir> [--id <id>]
 *   palaver-plugin validate [dir]
 *   palaver-plugin pack [dir]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
import { PLUGIN_API_VERSION } from './define-plugin';
import { checkPlugin } from './manifest';

const SDK_ROOT = resolve(__dirname, '..', '..');
const TEMPLATE_ID = 'example-roll';

/** The published SDK ships `template/`; inside the Palaver repository the example plugin is the template. */
export function templateDir(): string {
  const shipped = join(SDK_ROOT, 'template');
  if (existsSync(shipped)) return shipped;
  const inRepo = resolve(SDK_ROOT, '..', '..', 'plugins', TEMPLATE_ID);
  if (existsSync(inRepo)) return inRepo;
  throw new Error('the plugin template is missing from this installation of @palaver/plugin-sdk');
}

function sdkVersion(): string {
  return (JSON.parse(readFileSync(join(SDK_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export function create(dir: string, id = basename(resolve(dir))): string {
  if (!/^[a-z][a-z0-9-]{1,48}$/.test(id))
    throw new Error(`id '${id}' must be 2-49 of a-z 0-9 - starting with a letter`);
  const target = resolve(dir);
  if (existsSync(target) && readdirSync(target).length > 0) throw new Error(`${target} is not empty`);
  mkdirSync(target, { recursive: true });
  const template = templateDir();
  for (const part of ['src', 'test', 'README.md']) {
    cpSync(join(template, part), join(target, part), { recursive: true });
  }
  for (const file of [join(target, 'src', 'index.ts'), join(target, 'README.md')]) {
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll(TEMPLATE_ID, id));
  }
  const pkg = {
    name: `palaver-plugin-${id}`,
    version: '0.1.0',
    description: `Palaver plugin ${id}`,
    main: 'dist/src/index.js',
    types: 'dist/src/index.d.ts',
    files: ['dist/src'],
    palaver: { plugin: true },
    scripts: {
      build: 'tsc -b',
      test: 'tsc -b && node --test dist/test/',
      validate: 'tsc -b && palaver-plugin validate .',
      pack: 'tsc -b && palaver-plugin pack .',
    },
    dependencies: { '@palaver/plugin-sdk': `^${sdkVersion()}` },
    devDependencies: { '@types/node': '^20.19.0', typescript: '~5.9.3' },
  };
  writeFileSync(join(target, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2023'],
      module: 'Node16',
      moduleResolution: 'Node16',
      strict: true,
      esModuleInterop: true,
      skipLibCheck: true,
      declaration: true,
      sourceMap: true,
      rootDir: '.',
      outDir: 'dist',
      types: ['node'],
    },
    include: ['src', 'test'],
  };
  writeFileSync(join(target, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  return target;
}

export interface ValidationReport {
  ok: boolean;
  lines: string[];
}

/** Loads the built plugin in `dir` and checks it exactly as the server does at boot. */
export function validate(dir: string): ValidationReport {
  const root = resolve(dir);
  const pkgPath = join(root, 'package.json');
  if (!existsSync(pkgPath)) return { ok: false, lines: [`${pkgPath}: not found`] };
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { palaver?: { plugin?: unknown }; main?: string };
  if (pkg.palaver?.plugin !== true) {
    return {
      ok: false,
      lines: ['package.json: needs "palaver": { "plugin": true } to be discovered in PLUGINS_DIR'],
    };
  }
  let exported: unknown;
  try {
    const mod = createRequire(pkgPath)(root) as Record<string, unknown>;
    exported = mod.default ?? mod.plugin ?? mod;
  } catch (err) {
    return {
      ok: false,
      lines: [`cannot load ${pkg.main ?? 'index.js'} (built yet?): ${(err as Error).message.split('\n')[0]}`],
    };
  }
  const result = checkPlugin(exported, PLUGIN_API_VERSION);
  if (!result.ok) return { ok: false, lines: [result.reason] };
  const m = result.manifest;
  return {
    ok: true,
    lines: [
      `ok: ${m.id}@${m.version} for Plugin API ${m.apiVersion} (this SDK: ${PLUGIN_API_VERSION})`,
      `hooks: ${m.hooks.map((h) => h.name).join(', ') || 'none'}`,
      `permissions: ${m.permissions.join(', ') || 'none'}`,
      `routes: ${m.routes.map((r) => `${r.method} ${r.path}`).join(', ') || 'none'}`,
    ],
  };
}

function pack(dir: string): number {
  const report = validate(dir);
  for (const line of report.lines) console.log(line);
  if (!report.ok) return 1;
  const npm = spawnSync('npm', ['pack'], { cwd: resolve(dir), stdio: 'inherit' });
  return npm.status ?? 1;
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'create': {
        const dir = rest.find((a) => !a.startsWith('--'));
        const idFlag = rest.indexOf('--id');
        if (!dir) throw new Error('usage: palaver-plugin create <dir> [--id <id>]');
        const target = create(dir, idFlag >= 0 ? rest[idFlag + 1] : undefined);
        console.log(`created ${target}\nnext: cd ${dir} && npm install && npm test && npm run validate`);
        return 0;
      }
      case 'validate': {
        const report = validate(rest[0] ?? '.');
        for (const line of report.lines) (report.ok ? console.log : console.error)(line);
        return report.ok ? 0 : 1;
      }
      case 'pack':
        return pack(rest[0] ?? '.');
      default:
        console.error('usage: palaver-plugin create <dir> [--id <id>] | validate [dir] | pack [dir]');
        return 2;
    }
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
