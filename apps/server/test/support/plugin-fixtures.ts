import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Writes throwaway plugins (CommonJS source, no build step) into a fresh PLUGINS_DIR. Each entry is the
 * module's source; it must assign `module.exports`.
 */
export async function writePluginsDir(plugins: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palaver-plugins-'));
  for (const [name, source] of Object.entries(plugins)) {
    await mkdir(join(dir, name));
    await writeFile(
      join(dir, name, 'package.json'),
      JSON.stringify({ name, version: '1.0.0', main: 'index.js', palaver: { plugin: true } }),
    );
    await writeFile(join(dir, name, 'index.js'), source);
  }
  return dir;
}
