// Run Python under real MicroPython (WebAssembly port) in Node, for gridvend's tests.
//
//   node run.mjs [--heap BYTES] [--romfs IMAGE] [--copy SRC_DIR:DEST_DIR]... [--path DIR]...
//                [--exec CODE]... [--file SCRIPT.py]... [--loop CODE]...
//
// --copy puts every .py and .mpy file under SRC_DIR (recursively, skipping __pycache__) into
// MicroPython's in-memory filesystem at DEST_DIR; --romfs mounts a ROMFS image at /rom
// (modules there run in place, as frozen code does on the device); --path prepends a
// directory to sys.path. --exec and --file run in the order given, in one interpreter.
// --loop runs CODE again and again, each time as a separate top-level run, for as long
// as it leaves the Python global `more` true. Separate runs matter for memory figures:
// this port's gc.collect() cannot free garbage made earlier in the same top-level run
// (stale pointers on its stack keep it alive), but frees it across runs.
// Exit status: 0 when everything ran, 1 when Python raised (the traceback is printed).

import fs from "node:fs";
import path from "node:path";
import { loadMicroPython } from "@micropython/micropython-webassembly-pyscript";

const args = process.argv.slice(2);
const steps = [];
const copies = [];
const paths = [];
let heapsize = 1024 * 1024;
let romfs;
for (let i = 0; i < args.length; i += 2) {
  const [flag, value] = [args[i], args[i + 1]];
  if (value === undefined) throw new Error(`${flag} needs a value`);
  if (flag === "--heap") heapsize = Number(value);
  else if (flag === "--romfs") romfs = fs.readFileSync(value);
  else if (flag === "--copy") copies.push(value.split(":"));
  else if (flag === "--path") paths.push(value);
  else if (flag === "--exec") steps.push(value);
  else if (flag === "--file") steps.push(fs.readFileSync(value, "utf8"));
  else if (flag === "--loop") steps.push({ loop: value });
  else throw new Error(`unknown option ${flag}`);
}

const mp = await loadMicroPython({
  heapsize,
  romfs,
  stdout: (line) => process.stdout.write(line + "\n"),
  stderr: (line) => process.stderr.write(line + "\n"),
});

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

function copyTree(src, dest) {
  mkdirs(dest);
  for (const name of fs.readdirSync(src)) {
    const from = path.join(src, name);
    if (fs.statSync(from).isDirectory()) {
      if (name !== "__pycache__" && name !== "node_modules") copyTree(from, dest + "/" + name);
    } else if (name.endsWith(".py") || name.endsWith(".mpy")) {
      mp.FS.writeFile(dest + "/" + name, fs.readFileSync(from));
    }
  }
}

for (const [src, dest] of copies) copyTree(src, dest);
const prelude = paths.map((p) => `sys.path.insert(0, ${JSON.stringify(p)})`).join("\n");
try {
  mp.runPython("import sys\n" + prelude);
  for (const code of steps) {
    if (typeof code === "string") {
      mp.runPython(code);
      continue;
    }
    do mp.runPython(code.loop);
    while (mp.globals.get("more"));
  }
} catch (err) {
  process.stderr.write(String(err.message || err) + "\n");
  process.exit(1);
}
