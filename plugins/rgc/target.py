"""Where the reader's bytes come from: a live process or a core file.

A target is anything with

    read(addr, size) -> bytes      exactly size bytes, or TargetError naming
                                   the first address that cannot be read
    regions() -> [Region]          the mappings (start, end, perms, path, offset)
    symbol(name) -> int or None    optional: an address the host knows

A debugger adapter implements the same three on top of its own memory
access.  The two here read /proc/PID/mem and ELF core files.

Beyond the interface, both give what finding the table needs: describe()
("process 1234", "core /tmp/core.1234"), executable() (the main program's
path) and scan_ranges() (the ranges worth scanning for the table's cookie).
"""

import bisect
import os
import struct
from collections import namedtuple

from . import elf
from .errors import ElfError, RgcError, TargetError

Region = namedtuple("Region", "start end perms path offset")

ADDRESS_LIMIT = 1 << 64

# Pseudo-mappings that are readable on paper but not through /proc/PID/mem,
# or not worth reading.
_SKIP_SCAN = ("[vvar]", "[vvar_vclock]", "[vsyscall]")


class Target:
    """The interface; the methods a subclass may leave alone."""

    def read(self, addr, size):
        raise NotImplementedError

    def regions(self):
        return []

    def symbol(self, name):
        return None

    def describe(self):
        return "target"

    def executable(self):
        return None

    def scan_ranges(self):
        """(start, end, region) of memory that can hold the table."""
        return [(r.start, r.end, r) for r in self.regions()
                if "r" in r.perms and r.path not in _SKIP_SCAN]

    def close(self):
        pass

    def _check_range(self, addr, size):
        if size < 0 or addr < 0 or addr + size > ADDRESS_LIMIT:
            raise TargetError("cannot read %d bytes at 0x%x in %s: not an address"
                              % (size, addr % ADDRESS_LIMIT, self.describe()), addr)


def parse_maps(text):
    """The lines of /proc/PID/maps as Regions."""
    regions = []
    for line in text.splitlines():
        parts = line.split(None, 5)
        if len(parts) < 5:
            continue
        try:
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            offset = int(parts[2], 16)
        except ValueError:
            continue
        path = parts[5].strip() if len(parts) > 5 else ""
        if path.endswith(" (deleted)"):
            path = path[: -len(" (deleted)")]
        regions.append(Region(lo, hi, parts[1], path, offset))
    return regions


class ProcessTarget(Target):
    """A live process, read through /proc/PID/mem (ptrace permission needed:
    the reader must be its parent, root, or allowed by the process)."""

    def __init__(self, pid):
        self.pid = int(pid)
        self._proc = "/proc/%d" % self.pid
        if not os.path.isdir(self._proc):
            raise RgcError("no process %d" % self.pid)
        try:
            self._fd = os.open(self._proc + "/mem", os.O_RDONLY)
        except PermissionError:
            raise RgcError("cannot read the memory of process %d: permission denied "
                           "(ptrace: be its parent or root, or see kernel.yama.ptrace_scope)"
                           % self.pid) from None
        except OSError as e:
            raise RgcError("cannot read the memory of process %d: %s" % (self.pid, e.strerror or e)) from None
        self._regions = None

    def describe(self):
        return "process %d" % self.pid

    def close(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def regions(self):
        if self._regions is None:
            try:
                with open(self._proc + "/maps") as f:
                    self._regions = parse_maps(f.read())
            except OSError as e:
                raise RgcError("cannot read the mappings of process %d: %s" % (self.pid, e.strerror or e)) from None
        return self._regions

    def executable(self):
        try:
            path = os.readlink(self._proc + "/exe")
        except OSError:
            return None
        if path.endswith(" (deleted)"):
            path = path[: -len(" (deleted)")]
        return path

    def read(self, addr, size):
        self._check_range(addr, size)
        out = bytearray()
        while len(out) < size:
            at = addr + len(out)
            try:
                if at >= 1 << 63:
                    raise OverflowError
                chunk = os.pread(self._fd, size - len(out), at)
            except OverflowError:
                chunk = b""
            except OSError as e:
                raise TargetError("cannot read %d bytes at 0x%x in process %d: %s (at 0x%x)"
                                  % (size, addr, self.pid, e.strerror or e, at), at) from None
            if not chunk:
                raise TargetError("cannot read %d bytes at 0x%x in process %d: unmapped at 0x%x"
                                  % (size, addr, self.pid, at), at)
            out += chunk
        return bytes(out)


class _FileCache:
    """Open files of a core's NT_FILE note, read for the parts of read-only
    file mappings the core does not hold."""

    def __init__(self):
        self._files = {}

    def read(self, path, offset, size):
        f = self._files.get(path, False)
        if f is False:
            try:
                f = open(path, "rb")
            except OSError:
                f = None
            self._files[path] = f
        if f is None:
            return None
        f.seek(offset)
        return f.read(size)

    def close(self):
        for f in self._files.values():
            if f:
                f.close()
        self._files.clear()


class CoreTarget(Target):
    """An ELF64 little-endian core file (the kernel's or gdb's gcore).

    Memory is the PT_LOAD segments.  Where a segment's p_filesz is less than
    its p_memsz the rest is absent, not zero -- except in a read-only file
    mapping that was not dumped (p_filesz 0 for a file mapping, as gcore and
    the kernel write for text and read-only data; or only its first page,
    the ELF header): that part is read from the mapped file named by the
    NT_FILE note, when the file exists.  (A RELRO region written by the
    dynamic linker before it was made read-only is dumped whole by both, so
    its relocated bytes come from the core.)

    A core cut short (smaller than its segments claim) is noted in
    `truncation`, and what it still holds can be read.

    exe: the path of the main executable, when it is no longer where the
    core says (its mappings in NT_FILE are then read from exe).
    """

    def __init__(self, path, exe=None):
        self.path = path
        self._elf = elf.ElfFile(path)
        try:
            self._open(exe)
        except BaseException:
            self._elf.close()
            raise
        self._files = _FileCache()

    def _open(self, exe):
        e = self._elf
        if e.type != elf.ET_CORE:
            raise ElfError("%s is not a core file (ELF type %d)" % (self.path, e.type))
        self.file_size = e.file_size
        segs = e.segments()
        self.truncation = None
        for s in sorted(segs, key=lambda s: s.offset):
            if s.filesz and s.offset + s.filesz > self.file_size:
                self.truncation = ("truncated core: %s ends at byte %d, segment at 0x%x needs %d"
                                   % (self.path, self.file_size, s.vaddr, s.offset + s.filesz))
                break
        self._loads = sorted((s for s in segs if s.type == elf.PT_LOAD and s.memsz), key=lambda s: s.vaddr)
        self._starts = [s.vaddr for s in self._loads]
        self.files = []   # (start, end, file offset, path), from NT_FILE
        self.auxv = {}
        self.program = None
        for n in e.notes():
            if n.type == elf.NT_FILE and n.name == "CORE":
                self.files = _parse_nt_file(n.desc)
            elif n.type == elf.NT_AUXV and n.name == "CORE":
                for i in range(0, len(n.desc) - 15, 16):
                    key, val = struct.unpack_from("<QQ", n.desc, i)
                    self.auxv.setdefault(key, val)
            elif n.type == elf.NT_PRPSINFO and n.name == "CORE" and len(n.desc) >= 56:
                self.program = n.desc[40:56].split(b"\0")[0].decode("latin-1")
        self.recorded_exe = self._find_exe()
        self.exe = exe or self.recorded_exe
        if exe and self.recorded_exe:
            self.files = [(lo, hi, off, exe if p == self.recorded_exe else p) for (lo, hi, off, p) in self.files]
        self._file_starts = sorted(self.files)

    def _find_exe(self):
        entry = self.auxv.get(elf.AT_ENTRY)
        if entry is not None:
            for lo, hi, _off, p in self.files:
                if lo <= entry < hi:
                    return p
        if self.program:
            for _lo, _hi, _off, p in self.files:
                if os.path.basename(p).startswith(self.program):
                    return p
        return self.files[0][3] if self.files else None

    def describe(self):
        return "core %s" % self.path

    def executable(self):
        return self.exe

    def close(self):
        self._elf.close()
        self._files.close()

    def _file_of(self, addr):
        """(start, end, offset, path) of the NT_FILE mapping holding addr."""
        i = bisect.bisect_right(self._file_starts, (addr, ADDRESS_LIMIT)) - 1
        if i >= 0:
            m = self._file_starts[i]
            if m[0] <= addr < m[1]:
                return m
        return None

    def _segment_of(self, addr):
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0:
            s = self._loads[i]
            if addr < s.vaddr + s.memsz:
                return s
        return None

    def file_offset(self, addr):
        """Where the core file holds the byte at addr, or None."""
        s = self._segment_of(addr)
        if s is None or addr - s.vaddr >= s.filesz:
            return None
        return s.offset + (addr - s.vaddr)

    def regions(self):
        out = []
        for s in self._loads:
            m = self._file_of(s.vaddr)
            path = m[3] if m else ""
            offset = m[2] + (s.vaddr - m[0]) if m else 0
            out.append(Region(s.vaddr, s.vaddr + s.memsz, elf.segment_perms(s.flags), path, offset))
        return out

    def scan_ranges(self):
        """The bytes the core itself holds (a table is in written memory)."""
        out = []
        for s, r in zip(self._loads, self.regions()):
            have = max(0, min(s.filesz, self.file_size - s.offset))
            if have and "r" in r.perms:
                out.append((s.vaddr, s.vaddr + have, r))
        return out

    def read(self, addr, size):
        self._check_range(addr, size)
        out = bytearray()
        while len(out) < size:
            at = addr + len(out)
            want = size - len(out)
            s = self._segment_of(at)
            if s is None:
                # gdb's gcore leaves out the file mappings it did not
                # dump (text, read-only data) altogether; NT_FILE still
                # names them, and their bytes are the file's.
                data = self._from_file(None, at, want)
                if data is None:
                    raise TargetError("cannot read %d bytes at 0x%x in core %s: 0x%x is not in the core"
                                      % (size, addr, self.path, at), at)
                out += data
                continue
            rel = at - s.vaddr
            n = min(want, s.memsz - rel)
            if rel < s.filesz:
                n = min(n, s.filesz - rel)
                data = self._elf.read_at(s.offset + rel, n)
                if len(data) != n:
                    raise TargetError("cannot read %d bytes at 0x%x in core %s: 0x%x lies past the "
                                      "end of the truncated core (byte %d)"
                                      % (size, addr, self.path, at + len(data), self.file_size),
                                      at + len(data))
            else:
                data = self._from_file(s, at, n)
                if data is None:
                    raise TargetError("cannot read %d bytes at 0x%x in core %s: 0x%x was not dumped"
                                      % (size, addr, self.path, at), at)
            out += data
        return bytes(out)

    def _from_file(self, seg, at, n):
        """Bytes of a file mapping the core did not dump, or None.  seg:
        the segment holding at (None: no segment does, the mapping was left
        out); a writable segment's missing bytes are not the file's."""
        if seg is not None and seg.flags & elf.PF_W:
            return None
        m = self._file_of(at)
        if m is None:
            return None
        n = min(n, m[1] - at)
        if seg is None:
            nxt = bisect.bisect_right(self._starts, at)
            if nxt < len(self._starts):
                n = min(n, self._starts[nxt] - at)
        data = self._files.read(m[3], m[2] + (at - m[0]), n)
        if data is None or len(data) != n:
            return None
        return data


def _parse_nt_file(desc):
    if len(desc) < 16:
        return []
    count, page = struct.unpack_from("<QQ", desc, 0)
    if count > (len(desc) - 16) // 24:
        return []
    names = desc[16 + 24 * count:].split(b"\0")
    out = []
    for i in range(count):
        lo, hi, pgoff = struct.unpack_from("<QQQ", desc, 16 + 24 * i)
        name = names[i].decode("utf-8", "replace") if i < len(names) else ""
        out.append((lo, hi, pgoff * page, name))
    return out
