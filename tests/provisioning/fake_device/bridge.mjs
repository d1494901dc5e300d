// A fake gridvend handheld on a pseudo-terminal: real MicroPython (the WebAssembly port)
// behind the REPL protocol an ESP32 speaks on its USB serial port, so the real mpremote
// can drive it.
//
//   node bridge.mjs --fd N --package DIR --root DIR --port DIR [--heap BYTES]
//
// --fd      the pty master (inherited); the test hands the slave's path to mpremote
// --package the @micropython/micropython-webassembly-pyscript package directory
// --root    the device's filesystem (the files of the littlefs image), mounted at /
// --port    Python run at every boot and kept in /.bench: the board's `machine` module
//           and asyncio.run, which the WebAssembly port lacks
// --romfs   a ROMFS image, mounted at /rom as MicroPython mounts a romfs partition
// --log     a file to which each protocol event is appended, one word per line
//           (raw, raw-paste, soft-reset, hard-reset, exec), for tests to check
//
// The protocol is the one shared/runtime/pyexec.c implements for the ESP32 port
// (pyexec_friendly_repl / pyexec_raw_repl / do_reader_stdin):
//   friendly REPL: banner, ">>> ", echo; Ctrl-A raw REPL, Ctrl-B banner, Ctrl-C new
//                  prompt, Ctrl-D on an empty line soft reset
//   raw REPL:      "raw REPL; CTRL-B to exit\r\n>"; bytes collect until Ctrl-D, then
//                  "OK", the output, \x04, the exception text, \x04, ">"; Ctrl-D with
//                  nothing collected: "OK\r\n" and a soft reset; Ctrl-B back to friendly
//   raw-paste:     Ctrl-E 'A' Ctrl-A -> "R\x01", window size (2 bytes LE) and \x01;
//                  \x01 again per window consumed; Ctrl-D -> \x04 then run as above
//   soft reset:    "MPY: soft reboot\r\n", a fresh interpreter over the same files (the
//                  flash survives), /boot.py run if present, then the raw banner or the
//                  friendly banner
//   sys.exit():    \x04\x04 then a soft reset (the ESP32 port has no exit-code handling)
//   machine.reset(): no output; the board reboots into the friendly REPL with its ROM
//                  boot log
// Output is "cooked" as the ESP32's HAL does: every \n goes out as \r\n.
// Not modelled: main.py is not run after a reset in friendly mode (mpremote never needs
// it; the firmware's main loop needs the watchdog and radio this bench lacks),
// Ctrl-C cannot interrupt a running command (the interpreter runs synchronously).

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const opts = { heap: "262144" };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) opts[argv[i].replace(/^--/, "")] = argv[i + 1];
const fd = Number(opts.fd);
const { loadMicroPython } = await import(
  pathToFileURL(path.join(opts.package, "micropython.mjs")).href
);

const CTRL_A = 1, CTRL_B = 2, CTRL_C = 3, CTRL_D = 4, CTRL_E = 5;
const WINDOW = 128; // MICROPY_REPL_STDIN_BUFFER_MAX / 2
const SYSTEM_DIRS = new Set(["/dev", "/proc", "/tmp", "/home"]); // Emscripten's own

let mp = null;
let banner = "";
let mode = "friendly";
let line = [];
let paste = null; // { data: [], remain: n } while in raw-paste
let pending = [];

function note(event) {
  if (opts.log) fs.appendFileSync(opts.log, event + "\n");
}

function send(bytes) {
  if (bytes.length) fs.writeSync(fd, Buffer.from(bytes));
}
function sendText(text) {
  send(Buffer.from(text, "latin1"));
}
function cooked(byte) {
  if (byte === 10) pending.push(13, 10);
  else pending.push(byte);
  if (byte === 10 || pending.length > 256) flush();
}
function flush() {
  const out = pending;
  pending = [];
  send(out);
}

function walk(dir, out) {
  for (const name of mp.FS.readdir(dir)) {
    if (name === "." || name === "..") continue;
    const full = (dir === "/" ? "" : dir) + "/" + name;
    if (SYSTEM_DIRS.has(full)) continue;
    const stat = mp.FS.stat(full);
    if (mp.FS.isDir(stat.mode)) {
      out.push([full, null]);
      walk(full, out);
    } else {
      out.push([full, Buffer.from(mp.FS.readFile(full))]);
    }
  }
  return out;
}

function mkdirs(dir) {
  let sofar = "";
  for (const part of dir.split("/").filter(Boolean)) {
    sofar += "/" + part;
    try {
      mp.FS.mkdir(sofar);
    } catch (err) {
      if (err.errno !== 20) throw err; // 20: exists
    }
  }
}

function readTree(src, dest, out) {
  for (const name of fs.readdirSync(src)) {
    const from = path.join(src, name);
    const to = dest + "/" + name;
    if (fs.statSync(from).isDirectory()) {
      out.push([to, null]);
      readTree(from, to, out);
    } else {
      out.push([to, fs.readFileSync(from)]);
    }
  }
  return out;
}

async function boot(flash) {
  mp = await loadMicroPython({
    heapsize: Number(opts.heap),
    romfs: opts.romfs ? fs.readFileSync(opts.romfs) : undefined,
    stdout: (bytes) => bytes.forEach(cooked),
    stderr: (bytes) => bytes.forEach(cooked),
    linebuffer: false,
  });
  for (const [file, data] of flash) {
    if (data === null) mkdirs(file);
    else {
      mkdirs(path.posix.dirname(file));
      mp.FS.writeFile(file, data);
    }
  }
  mp.runPython("import sys\nsys.path.append('/.bench')\nimport bench_port\ndel bench_port");
  // The ESP32 port runs boot.py after every reset, in raw mode too (main.py only in friendly).
  const bootPy = flash.find(([file, data]) => file === "/boot.py" && data !== null);
  if (bootPy) run(bootPy[1].toString("utf8"), false); // an error in it is printed, boot goes on
  const version = mp.runPython("import sys\nsys.version.split('; ')[-1]");
  banner = `${version}; gridvend fake handheld with ESP32\r\nType "help()" for more information.\r\n`;
}

async function softReset() {
  note("soft-reset");
  flush();
  const flash = walk("/", []);
  sendText("MPY: soft reboot\r\n");
  await boot(flash);
  if (mode === "raw") sendText("raw REPL; CTRL-B to exit\r\n>");
  else sendText(banner + ">>> ");
}

async function hardReset() {
  note("hard-reset");
  flush();
  const flash = walk("/", []);
  mode = "friendly";
  await boot(flash);
  sendText("ets Jul 29 2019 12:21:46\r\n\r\nrst:0xc (SW_CPU_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)\r\n");
  sendText(banner + ">>> ");
}

// Runs code; returns "ok", "exit" (SystemExit: soft reset) or "reset" (machine.reset()).
function run(code, withMarkers) {
  if (withMarkers) note("exec");
  let error = null;
  try {
    mp.runPython(code);
  } catch (err) {
    if (err.name !== "PythonError") throw err;
    error = err;
  }
  if (error && error.type === "HardReset") return "reset";
  if (withMarkers) {
    flush();
    send([CTRL_D]);
  }
  if (error && error.type === "SystemExit") {
    if (withMarkers) send([CTRL_D]);
    return "exit";
  }
  if (error) for (const byte of Buffer.from(error.message, "utf8")) cooked(byte);
  flush();
  if (withMarkers) send([CTRL_D]);
  return "ok";
}

async function finish(outcome) {
  if (outcome === "exit") await softReset();
  else if (outcome === "reset") await hardReset();
  else sendText(mode === "raw" ? ">" : ">>> ");
}

async function friendly(byte) {
  if (byte === CTRL_A) {
    note("raw");
    mode = "raw";
    line = [];
    sendText("\r\nraw REPL; CTRL-B to exit\r\n>");
  } else if (byte === CTRL_B) {
    line = [];
    sendText("\r\n" + banner + ">>> ");
  } else if (byte === CTRL_C) {
    line = [];
    sendText("\r\n>>> ");
  } else if (byte === CTRL_D) {
    if (line.length === 0) {
      sendText("\r\n");
      await softReset();
    }
  } else if (byte === 13) {
    sendText("\r\n");
    const text = Buffer.from(line).toString("utf8");
    line = [];
    if (text.trim() === "") sendText(">>> ");
    else await finish(run(`exec(compile(${JSON.stringify(text)}, "<stdin>", "single"))`, false));
  } else if (byte === 8 || byte === 127) {
    if (line.length) {
      line.pop();
      sendText("\b \b");
    }
  } else if (byte >= 32) {
    line.push(byte);
    send([byte]);
  }
}

async function raw(byte) {
  if (byte === CTRL_A) {
    if (line.length === 2 && line[0] === CTRL_E) {
      const command = line[1];
      line = [];
      if (command !== 0x41) {
        sendText("R\x00>");
        return;
      }
      sendText("R\x01");
      send([WINDOW & 0xff, WINDOW >> 8, CTRL_A]);
      note("raw-paste");
      paste = { data: [], remain: WINDOW };
      mode = "raw-paste";
      return;
    }
    line = [];
    sendText("raw REPL; CTRL-B to exit\r\n>");
  } else if (byte === CTRL_B) {
    line = [];
    mode = "friendly";
    sendText("\r\n" + banner + ">>> ");
  } else if (byte === CTRL_C) {
    line = [];
  } else if (byte === CTRL_D) {
    sendText("OK");
    if (line.length === 0) {
      sendText("\r\n");
      await softReset();
      return;
    }
    const code = Buffer.from(line).toString("utf8");
    line = [];
    await finish(run(code, true));
  } else {
    line.push(byte);
  }
}

async function rawPaste(byte) {
  if (byte === CTRL_D || byte === CTRL_C) {
    send([CTRL_D]); // end of data acknowledged
    const code = byte === CTRL_C ? "raise KeyboardInterrupt" : Buffer.from(paste.data).toString("utf8");
    paste = null;
    mode = "raw";
    await finish(run(code, true));
    return;
  }
  paste.data.push(byte);
  if (--paste.remain === 0) {
    send([CTRL_A]); // another window is free
    paste.remain = WINDOW;
  }
}

const handlers = { friendly, raw, "raw-paste": rawPaste };
const queue = [];
let busy = false;

async function pump() {
  if (busy) return;
  busy = true;
  try {
    while (queue.length) await handlers[mode](queue.shift());
  } finally {
    busy = false;
  }
}

await boot([...readTree(opts.root, "", []), [ "/.bench", null ], ...readTree(opts.port, "/.bench", [])]);
sendText(banner + ">>> ");
process.stdout.write("READY\n");

const input = fs.createReadStream(null, { fd, autoClose: false, highWaterMark: 4096 });
input.on("data", (chunk) => {
  for (const byte of chunk) queue.push(byte);
  pump().catch((err) => {
    process.stderr.write(`bridge: ${err.stack || err}\n`);
    process.exit(1);
  });
});
input.on("error", (err) => {
  process.stderr.write(`bridge: pty closed (${err.code})\n`);
  process.exit(0);
});
