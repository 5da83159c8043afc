#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks that every symbol vfio_ap.ko imports is exported by the kernel it is
built for, without building vmlinux (modpost cannot tell: it has no
Module.symvers).

Method, per undefined symbol of the module (nm -u):
  1. find the files of the 6.12 tree that name it in an EXPORT_SYMBOL* macro
     (grep), plus the files of GENERATED_EXPORTS for names that macros build
     (those claims are verified like any other: by steps 2-3);
  2. preprocess each such file with the prepared tree's configuration and
     flags (Kbuild's own command for <file>.i, from make -n, run with its
     output outside the shared tree) and keep it only if the export survived
     (#ifdef CONFIG_... around exports; assembler files are assembled and
     their export labels read); the expansion also yields the license
     (GPL or not) and the symbol namespace, including DEFAULT_SYMBOL_NAMESPACE
     set from a Makefile;
  3. require the file's object to be built by this configuration: follow the
     Kbuild makefiles from the object (obj-y / obj-$(CONFIG_X) / composite
     <name>-y, <name>-objs, include'd makefiles) up to a top-level directory,
     with every CONFIG_ option on the way set to y or m in .config (lib-y
     objects count as built: an exported symbol keeps them linked);
  4. a GPL-only export needs a GPL-compatible MODULE_LICENSE, a namespaced one a
     MODULE_IMPORT_NS in the module's .modinfo.
Exit status 0 when every import is satisfied, 1 otherwise (each failure named).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

GPL_COMPATIBLE = {"GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL",
                  "Dual MIT/GPL", "Dual MPL/GPL"}
TOP_DIRS = {"kernel", "mm", "fs", "lib", "drivers", "block", "crypto", "net",
            "security", "ipc", "init", "io_uring", "certs", "virt", "arch/s390"}


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def undefined_symbols(nm, ko):
    out = run([nm, "-u", ko])
    return sorted({line.split()[-1] for line in out.splitlines() if line.strip()})


def modinfo(objcopy, ko, tmp):
    run([objcopy, "-O", "binary", "--only-section=.modinfo", ko, tmp])
    with open(tmp, "rb") as f:
        data = f.read()
    os.unlink(tmp)
    info = {}
    for item in data.split(b"\0"):
        if b"=" in item:
            k, v = item.decode().split("=", 1)
            info.setdefault(k, []).append(v)
    return info


def grep_exports(tree, syms):
    # One grep over the tree for all symbols at once.
    pat = r"EXPORT_SYMBOL[A-Z_]*\(\s*(%s)\s*[,)]" % "|".join(re.escape(s) for s in syms)
    p = subprocess.run(["grep", "-rlE", "--include=*.c", "--include=*.S", pat,
                        "arch/s390", "kernel", "mm", "fs", "lib", "drivers", "block",
                        "crypto", "net", "security", "virt", "init", "ipc", "io_uring"],
                       cwd=tree, capture_output=True, text=True)
    if p.returncode not in (0, 1):
        sys.exit("grep failed: " + p.stderr)
    found = {}
    rx = re.compile(pat)
    for path in p.stdout.split():
        with open(os.path.join(tree, path), errors="replace") as f:
            for m in rx.finditer(f.read()):
                found.setdefault(m.group(1), set()).add(path)
    return found


def logical_lines(path):
    with open(path, errors="replace") as f:
        text = f.read().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            yield line


def read_config(tree):
    cfg = {}
    for line in open(os.path.join(tree, ".config")):
        m = re.match(r"(CONFIG_\w+)=(.*)", line.strip())
        if m:
            cfg[m.group(1)] = m.group(2)
    return cfg


class Kbuild:
    def __init__(self, tree, cfg):
        self.tree, self.cfg = tree, cfg
        self.cache = {}
        self.includers = None

    def makefiles(self, d):
        """Logical lines of d's Kbuild and Makefile plus makefiles they include."""
        if d in self.cache:
            return self.cache[d]
        lines = []
        for name in ("Kbuild", "Makefile"):
            p = os.path.join(self.tree, d, name)
            if os.path.isfile(p):
                for line in logical_lines(p):
                    lines.append(line)
                    m = re.match(r"-?include\s+\$\(srctree\)/(\S+)", line)
                    if m and os.path.isfile(os.path.join(self.tree, m.group(1))):
                        lines.extend(logical_lines(os.path.join(self.tree, m.group(1))))
        self.cache[d] = lines
        return lines

    def enabled(self, var):
        """Every CONFIG_ option named in a make variable must be y or m."""
        for opt in re.findall(r"CONFIG_\w+", var):
            if self.cfg.get(opt) not in ("y", "m"):
                return False, "%s is not set" % opt
        return True, ""

    def owners(self, d, target):
        """(variable, directory) pairs whose value lists target (base.o or sub/)."""
        res = []
        for line in self.makefiles(d):
            m = re.match(r"([\w$()\-.,/ ]+?)\s*(:=|\+=|\?=|=)\s*(.*)", line)
            if not m:
                continue
            var, words = m.group(1).strip(), m.group(3).split()
            for w in words:
                if w == target or (w.endswith("/" + target) and w.startswith("$(")):
                    res.append(var)
        return res

    def object_built(self, path, depth=0):
        d, base = os.path.split(path)
        obj = os.path.splitext(base)[0] + ".o"
        return self._obj(d, obj, depth)

    def _obj(self, d, obj, depth):
        if depth > 12:
            return False, "makefile chain too deep at %s/%s" % (d, obj)
        dirs = [d] + self.including_dirs(d)
        why = "%s/%s is listed in no makefile" % (d, obj)
        for md in dirs:
            for var in self.owners(md, obj):
                ok, why = self.enabled(var)
                if not ok:
                    continue
                if re.match(r"(obj|lib|core|libs|drivers)-", var):
                    return self.dir_built(md, depth + 1)
                m = re.match(r"([\w\-]+?)-(y|objs|\$\(.*\))$", var)
                if m:
                    # A composite object <name>.o, or a helper list that an
                    # obj-... line names as $(<name>-y) (mm/'s mmu-y).
                    ok, why = self._obj(md, m.group(1) + ".o", depth + 1)
                    if ok:
                        return ok, why
                    ok, why = self._obj(md, "$(%s-y)" % m.group(1), depth + 1)
                    if ok:
                        return ok, why
        return False, why

    def including_dirs(self, d):
        """Directories whose makefiles include a makefile of d (virt/kvm)."""
        if self.includers is None:
            self.includers = {}
            out = subprocess.run(["grep", "-rlE", "--include=Makefile", "--include=Kbuild",
                                  r"^-?include \$\(srctree\)/", "arch/s390", "drivers", "virt"],
                                 cwd=self.tree, capture_output=True, text=True).stdout
            for mf in out.split():
                for line in logical_lines(os.path.join(self.tree, mf)):
                    m = re.match(r"-?include\s+\$\(srctree\)/(\S+)/[^/]+$", line)
                    if m:
                        self.includers.setdefault(m.group(1), []).append(os.path.dirname(mf))
        return self.includers.get(d, [])

    def dir_built(self, d, depth):
        if d in TOP_DIRS:
            return True, ""
        if depth > 12:
            return False, "directory chain too deep at " + d
        parent, name = os.path.split(d)
        for var in self.owners(parent, name + "/"):
            ok, why = self.enabled(var)
            if ok:
                return self.dir_built(parent, depth + 1)
        # arch/s390/Makefile names its subdirectories with the full path.
        for var in self.owners("arch/s390", d + "/"):
            ok, why = self.enabled(var)
            if ok:
                return True, ""
        return False, "directory %s is not built" % d


EXPORT_RX = re.compile(r"__export_symbol_(\w+):\s*;?\s*\.asciz\s+\"([^\"]*)\"\s*;?\s*\.ascii\s+\"([^\"]*)\"")


def pp_target(path):
    stem, ext = os.path.splitext(path)
    return stem + (".i" if ext == ".c" else ".o")


class TreeCompiler:
    """Runs Kbuild's own commands for single files of the prepared tree, but
    never inside it: `make -n` prints the exact command (flags of the
    file's directory, DEFAULT_SYMBOL_NAMESPACE, the configuration), which is
    run with its output and dependency file redirected to a private
    directory. A real in-tree make would rewrite generated headers through
    fixed temporary names, racing with every other user of the shared tree."""

    def __init__(self, tree, make_args, outdir):
        self.tree, self.make_args, self.outdir = tree, make_args, outdir
        self.cmds = {}

    def plan(self, paths):
        targets = sorted({pp_target(p) for p in paths} - set(self.cmds))
        if not targets:
            return
        # -W: pretend each source changed, so that make prints the command
        # even for an output some earlier in-tree build left behind.
        what_if = [a for p in paths for a in ("-W", p)]
        p = subprocess.run(["make", "-n", "-k", "-C", self.tree] + what_if + self.make_args +
                           targets, capture_output=True, text=True)
        gcc = re.escape(self.make_args[-1].split("=", 1)[1] + "gcc")
        for path in paths:
            t = pp_target(path)
            m = re.search(r"(%s .*? -o %s %s)\s*(?:;|$)" % (gcc, re.escape(t), re.escape(path)),
                          p.stdout, re.M)
            if m:
                self.cmds[t] = m.group(1)

    def run(self, path):
        """Path of the private output for path, or (None, error)."""
        t = pp_target(path)
        if t not in self.cmds:
            self.plan([path])
        if t not in self.cmds:
            return None, "make -n printed no command for " + t
        out = os.path.join(self.outdir, t.replace("/", "_"))
        cmd = re.sub(r"-Wp,-MMD,\S+", "", self.cmds[t])
        cmd = cmd.replace(" -o %s " % t, " -o %s " % out)
        p = subprocess.run(["sh", "-c", cmd], cwd=self.tree, capture_output=True, text=True)
        if p.returncode != 0 or not os.path.isfile(out):
            return None, p.stderr.strip()[-400:]
        return out, ""


def preprocessed_exports(compiler, path):
    """{symbol: (license, namespace)} that survive preprocessing path."""
    out, err = compiler.run(path)
    if out is None:
        return None, err
    with open(out, errors="replace") as f:
        text = f.read()
    os.unlink(out)
    # In C the export is an asm() string: quotes arrive escaped.
    text = text.replace('\\"', '"')
    res = {}
    for m in EXPORT_RX.finditer(text):
        res[m.group(1)] = (m.group(2), m.group(3))
    return res, ""


# Exports generated by assembler macros name no symbol literally. Each entry
# says which file generates them; the claim is verified by assembling that file
# with the prepared configuration and reading the export labels it really
# emits (nm), so a wrong entry fails instead of excusing a symbol.
GENERATED_EXPORTS = [
    # CONFIG_EXPOLINE_EXTERN: GEN_BR_THUNK_EXTERN emits and exports
    # __s390_indirect_jump_r1..15 (asm/nospec-insn.h) for -mindirect-branch=thunk-extern.
    (re.compile(r"__s390_indirect_jump_r\d+$"), "arch/s390/lib/expoline.S"),
    # dev_notice() & co: define_dev_printk_level() defines and exports each level.
    (re.compile(r"_dev_(emerg|alert|crit|err|warn|notice|info)$"), "drivers/base/core.c"),
    # Tracepoints (vfio_ap_trace.h): BPF_TRACE_DEFN_x() defines and exports
    # bpf_trace_run1..12, which every event's BPF probe calls.
    (re.compile(r"bpf_trace_run\d+$"), "kernel/trace/bpf_trace.c"),
]


def object_exports(compiler, path, nm, objcopy):
    """{symbol: (license, namespace)} from the export labels of path's object."""
    objp, err = compiler.run(path)
    if objp is None:
        return None, err
    sec = objp + ".export_symbol"
    run([objcopy, "-O", "binary", "--only-section=.export_symbol", objp, sec])
    with open(sec, "rb") as f:
        data = f.read()
    os.unlink(sec)
    res = {}
    for line in run([nm, objp]).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].startswith("__export_symbol_"):
            off = int(parts[0], 16)
            lic, ns = data[off:].split(b"\0")[:2]
            res[parts[2][len("__export_symbol_"):]] = (lic.decode(), ns.decode())
    os.unlink(objp)
    return res, ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tree", required=True)
    ap.add_argument("--nm", required=True)
    ap.add_argument("--objcopy", required=True)
    ap.add_argument("ko")
    a = ap.parse_args()
    tree = os.path.abspath(a.tree)
    make_args = ["ARCH=s390", "CROSS_COMPILE=s390x-linux-gnu-"]

    syms = undefined_symbols(a.nm, a.ko)
    info = modinfo(a.objcopy, a.ko, a.ko + ".modinfo")
    license = (info.get("license") or [""])[0]
    imported_ns = set(info.get("import_ns", []))
    if not syms:
        print("vfio_ap.ko imports nothing: that cannot be a real module")
        return 1

    cfg = read_config(tree)
    kb = Kbuild(tree, cfg)
    exports = grep_exports(tree, syms)
    pp_cache = {}
    built_cache = {}

    def object_built(path):
        if path not in built_cache:
            built_cache[path] = kb.object_built(path)
        return built_cache[path]

    outdir = tempfile.mkdtemp(prefix="check-imports.")
    compiler = TreeCompiler(tree, make_args, outdir)
    # One make -n for all files: each make start costs seconds in a kernel tree.
    compiler.plan([p for s in syms for p in exports.get(s, ()) if object_built(p)[0]])
    bad = 0
    for s in syms:
        verdicts = []
        ok = False
        generated = [g for rx, g in GENERATED_EXPORTS if rx.match(s)]
        for path in sorted(exports.get(s, ())) + [g for g in generated if g not in exports.get(s, ())]:
            built, why = object_built(path)
            if not built:
                verdicts.append("%s: %s" % (path, why))
                continue
            if path not in pp_cache:
                # Assembler exports (and macros) exist only once assembled.
                if path.endswith(".S"):
                    pp_cache[path] = object_exports(compiler, path, a.nm, a.objcopy)
                else:
                    pp_cache[path] = preprocessed_exports(compiler, path)
            pp, err = pp_cache[path]
            if pp is None:
                verdicts.append("%s: preprocessing failed: %s" % (path, err))
                continue
            if s not in pp:
                verdicts.append("%s: export compiled out by this configuration" % path)
                continue
            lic, ns = pp[s]
            if lic == "GPL" and license not in GPL_COMPATIBLE:
                verdicts.append("%s: GPL-only export, module license is '%s'" % (path, license))
                continue
            if ns and ns not in imported_ns:
                verdicts.append("%s: exported in namespace %s, module lacks MODULE_IMPORT_NS(%s)"
                                % (path, ns, ns))
                continue
            ok = True
            print("ok   %-40s %s%s%s" % (s, path, " GPL" if lic else "", " ns=" + ns if ns else ""))
            break
        if not ok:
            bad += 1
            print("FAIL %-40s %s" % (s, "; ".join(verdicts) or "not exported anywhere in the tree"))
    shutil.rmtree(outdir, ignore_errors=True)
    print("%d imported symbols, %d not satisfied" % (len(syms), bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
