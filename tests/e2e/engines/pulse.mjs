// A private PulseAudio server with one null sink: an audio output device for headless Firefox.
//
// Firefox's AudioContext only runs while it has an output stream open; on a machine with no sound
// server (this test machine, a kiosk without speakers) it stays 'suspended' forever. The Firefox
// tests give it this silent output so the microphone path can run, and test the no-output case
// separately (the page must then say so, in words, instead of showing a code).
//
// Started in a temp dir with its own socket (never the user's session server); stopped by its pid.

import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** @returns {Promise<{server: string, stop: () => Promise<void>}>} */
export async function startNullSink() {
  try {
    execFileSync('pulseaudio', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('pulseaudio not found: run tools/setup.sh --test (Debian package pulseaudio)');
  }
  const dir = await mkdtemp(join(tmpdir(), 'sori-pulse-'));
  const socket = join(dir, 'native');
  const env = { ...process.env, HOME: dir, XDG_RUNTIME_DIR: dir, XDG_CONFIG_HOME: dir };
  const proc = spawn(
    'pulseaudio',
    [
      '-n', // no default.pa: only the modules below
      '--daemonize=no',
      '--exit-idle-time=-1',
      '--use-pid-file=no',
      '--log-target=stderr',
      '--load=module-null-sink sink_name=sori_null',
      `--load=module-native-protocol-unix auth-anonymous=1 socket=${socket}`,
    ],
    { env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  proc.stderr.on('data', (b) => (log += b));
  for (let i = 0; i < 100 && !existsSync(socket); i++) {
    if (proc.exitCode !== null) break;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  if (!existsSync(socket)) {
    proc.kill();
    throw new Error(`pulseaudio did not start: ${log.slice(-500)}`);
  }
  return {
    server: `unix:${socket}`,
    stop: async () => {
      if (proc.exitCode === null) {
        const done = new Promise((ok) => proc.once('exit', ok));
        proc.kill('SIGTERM');
        await done;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
