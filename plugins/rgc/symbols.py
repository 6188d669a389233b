"""Code addresses to function names, from the mapped files' ELF symbols.

A traced block's frames are return addresses in the target.  The file
mapped there is found through the target's regions: each mapped ELF file's
load bias (elf.load_bias) places its PT_LOAD segments, so an address in a
segment a core left out (the text of a gcore core) is still placed.  Its
functions come from .symtab, or .dynsym when the file is stripped.  A
file that cannot be opened (a core whose program is gone) names nothing:
the address stays a number.
"""

import bisect

from . import elf
from .errors import ElfError, RgcError

# Mapped files looked at, at most (a process maps a few dozen).
MAX_FILES = 512


class _File:
    def __init__(self, path, bias, ranges):
        self.path = path
        self.bias = bias
        self.ranges = ranges      # [(start, end)] of its segments in the target
        self._functions = None
        self._values = None

    def functions(self):
        if self._functions is None:
            try:
                with elf.ElfFile(self.path) as f:
                    self._functions = f.functions()
            except (ElfError, OSError):
                self._functions = []
            self._values = [v for v, _s, _n in self._functions]
        return self._functions

    def name(self, addr):
        funcs = self.functions()
        rel = addr - self.bias
        # A return address may follow the last instruction of its function
        # (a call that does not return): look up the byte before it.
        at = rel - 1 if rel else rel
        i = bisect.bisect_right(self._values, at) - 1
        # Symbols of one address (aliases) or nested ones: look back a few.
        for j in range(i, max(i - 8, -1), -1):
            value, size, name = funcs[j]
            if value <= at < value + size:
                return "%s+0x%x" % (name, rel - value)
        return None


class Symbolizer:
    """name(address) -> "function+0xoffset", or None."""

    def __init__(self, target):
        self.target = target
        self._files = None
        self._cache = {}

    def _load(self):
        self._files = []
        maps = {}
        order = []
        try:
            regions = self.target.regions()
        except RgcError:
            regions = []
        for r in regions:
            if not r.path or r.path.startswith("["):
                continue
            if r.path not in maps:
                if len(order) >= MAX_FILES:
                    continue
                maps[r.path] = []
                order.append(r.path)
            maps[r.path].append((r.start, r.end, r.offset))
        for path in order:
            try:
                with elf.ElfFile(path) as f:
                    if f.type not in (elf.ET_EXEC, elf.ET_DYN):
                        continue
                    bias = 0 if f.type == elf.ET_EXEC else elf.load_bias(f, maps[path])
                    if bias is None:
                        continue
                    ranges = [((s.vaddr + bias) % (1 << 64), (s.vaddr + bias + s.memsz) % (1 << 64))
                              for s in f.loads() if s.flags & elf.PF_X]
            except (ElfError, OSError):
                continue
            if ranges:
                self._files.append(_File(path, bias, ranges))

    def name(self, addr):
        if not addr:
            return None
        if addr in self._cache:
            return self._cache[addr]
        if self._files is None:
            self._load()
        out = None
        for f in self._files:
            if any(lo <= addr < hi for lo, hi in f.ranges):
                out = f.name(addr)
                break
        self._cache[addr] = out
        return out
