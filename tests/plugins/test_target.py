"""CoreTarget on small synthetic cores: what a core holds, what it left out
(read from the mapped file only where that is the truth), and a core cut
short.  No process, no gdb: these run in milliseconds."""

import os
import shutil
import struct
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "plugins"))

from rgc import elf  # noqa: E402
from rgc.errors import ElfError, TargetError  # noqa: E402
from rgc.target import CoreTarget, parse_maps  # noqa: E402

PAGE = 0x1000


def note(name, ntype, desc):
    n = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)  # noqa: E731
    return struct.pack("<III", len(n), len(desc), ntype) + pad(n) + pad(desc)


def nt_file(entries):
    """entries: (start, end, file offset, path)."""
    desc = struct.pack("<QQ", len(entries), PAGE)
    for lo, hi, off, _ in entries:
        desc += struct.pack("<QQQ", lo, hi, off // PAGE)
    desc += b"".join(p.encode() + b"\0" for *_, p in entries)
    return note("CORE", elf.NT_FILE, desc)


def make_core(path, loads, files=(), auxv=None):
    """A core with PT_LOADs given as (vaddr, memsz, flags, data) -- data is
    what the file holds (its length is p_filesz) -- and an NT_FILE note."""
    notes = nt_file(list(files))
    if auxv:
        notes += note("CORE", elf.NT_AUXV, b"".join(struct.pack("<QQ", k, v) for k, v in auxv.items()))
    phnum = 1 + len(loads)
    off = 64 + 56 * phnum
    phdrs = [struct.pack("<IIQQQQQQ", elf.PT_NOTE, 0, off, 0, 0, len(notes), 0, 1)]
    body = notes
    off += len(notes)
    for vaddr, memsz, flags, data in loads:
        pad = -off % PAGE
        body += b"\0" * pad
        off += pad
        phdrs.append(struct.pack("<IIQQQQQQ", elf.PT_LOAD, flags, off, vaddr, 0, len(data), memsz, PAGE))
        body += data
        off += len(data)
    ehdr = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + b"\0" * 9, elf.ET_CORE, 62, 1, 0, 64, 0, 0,
                       64, 56, phnum, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(ehdr + b"".join(phdrs) + body)


class TestCoreTarget(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rgc-target-tests-")
        self.lib = os.path.join(self.dir, "libfake.so")
        with open(self.lib, "wb") as f:
            f.write(bytes(range(256)) * 64)  # 16 KiB, byte i = i % 256
        self.core = os.path.join(self.dir, "core")
        rw = elf.PF_R | elf.PF_W
        make_core(self.core, [
            (0x10000, 0x2000, rw, b"\xaa" * PAGE),          # half dumped
            (0x20000, 0x1000, elf.PF_R, b""),               # read-only, not dumped
            (0x30000, 0x1000, rw, b""),                     # writable, not dumped
            (0x50000, 0x1000, rw, b"\xbb" * PAGE),
        ], files=[
            (0x20000, 0x21000, 0x1000, self.lib),
            (0x30000, 0x31000, 0x2000, self.lib),
            (0x40000, 0x41000, 0x3000, self.lib),           # no segment at all
        ], auxv={elf.AT_ENTRY: 0x20010})

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def lib_bytes(self, off, n):
        return bytes((off + i) % 256 for i in range(n))

    def test_dumped_bytes(self):
        core = CoreTarget(self.core)
        self.assertIsNone(core.truncation)
        self.assertEqual(core.read(0x10000, 16), b"\xaa" * 16)
        self.assertEqual(core.read(0x50ff0, 16), b"\xbb" * 16)
        core.close()

    def test_missing_part_of_a_writable_segment_is_absent_not_zero(self):
        core = CoreTarget(self.core)
        with self.assertRaises(TargetError) as cm:
            core.read(0x10ff8, 16)
        self.assertEqual(cm.exception.address, 0x11000)
        self.assertIn("0x11000 was not dumped", str(cm.exception))
        with self.assertRaises(TargetError):
            core.read(0x30000, 8)  # writable: the file is not the truth
        core.close()

    def test_read_only_mapping_not_dumped_comes_from_its_file(self):
        core = CoreTarget(self.core)
        self.assertEqual(core.read(0x20000, 64), self.lib_bytes(0x1000, 64))
        self.assertEqual(core.read(0x40100, 32), self.lib_bytes(0x3100, 32))
        core.close()

    def test_without_the_file_it_is_absent(self):
        os.unlink(self.lib)
        core = CoreTarget(self.core)
        with self.assertRaises(TargetError):
            core.read(0x20000, 8)
        with self.assertRaises(TargetError) as cm:
            core.read(0x40000, 8)
        self.assertIn("0x40000 is not in the core", str(cm.exception))
        core.close()

    def test_unmapped(self):
        core = CoreTarget(self.core)
        with self.assertRaises(TargetError) as cm:
            core.read(0x60000, 8)
        self.assertEqual(cm.exception.address, 0x60000)
        core.close()

    def test_regions_and_executable(self):
        core = CoreTarget(self.core)
        regions = core.regions()
        self.assertEqual([(r.start, r.end, r.perms) for r in regions],
                         [(0x10000, 0x12000, "rw-"), (0x20000, 0x21000, "r--"), (0x30000, 0x31000, "rw-"),
                          (0x50000, 0x51000, "rw-")])
        self.assertEqual(regions[1].path, self.lib)
        self.assertEqual(regions[1].offset, 0x1000)
        self.assertEqual(core.executable(), self.lib)  # holds AT_ENTRY
        self.assertEqual([(s, e) for s, e, _ in core.scan_ranges()], [(0x10000, 0x11000), (0x50000, 0x51000)])
        core.close()
        moved = CoreTarget(self.core, exe="/elsewhere/prog")
        self.assertEqual(moved.executable(), "/elsewhere/prog")
        self.assertEqual(moved.regions()[1].path, "/elsewhere/prog")
        moved.close()

    def test_truncated(self):
        with open(self.core, "rb") as f:
            data = f.read()
        cut = len(data) - 100  # inside the last segment
        with open(self.core, "wb") as f:
            f.write(data[:cut])
        core = CoreTarget(self.core)
        self.addCleanup(core.close)
        self.assertEqual(core.truncation, "truncated core: %s ends at byte %d, segment at 0x50000 needs %d"
                         % (self.core, cut, len(data)))
        self.assertEqual(core.read(0x10000, 8), b"\xaa" * 8)  # what is there still reads
        with self.assertRaises(TargetError) as cm:
            core.read(0x50ff0, 16)
        self.assertIn("truncated core", str(cm.exception))

    def test_not_a_core(self):
        with self.assertRaises(ElfError) as cm:
            CoreTarget(self.lib)
        self.assertIn("is not an ELF file", str(cm.exception))


class TestHelpers(unittest.TestCase):
    def test_parse_maps(self):
        text = ("55d0d8174000-55d0d8176000 r--p 00000000 08:01 123 /usr/bin/prog\n"
                "7f00-8f00 rw-p 00002000 00:00 0 \n"
                "7ffd6d974000-7ffd6d995000 rw-p 00000000 00:00 0  [stack]\n"
                "1000-2000 r-xp 00001000 08:01 7 /tmp/with space (deleted)\n")
        r = parse_maps(text)
        self.assertEqual(r[0], (0x55d0d8174000, 0x55d0d8176000, "r--p", "/usr/bin/prog", 0))
        self.assertEqual(r[1].path, "")
        self.assertEqual(r[2].path, "[stack]")
        self.assertEqual((r[3].path, r[3].offset), ("/tmp/with space", 0x1000))

    def test_load_bias(self):
        class Fake:
            def loads(self):
                return [elf.Segment(elf.PT_LOAD, 5, 0, 0, 0x1000, 0x1000, PAGE),
                        elf.Segment(elf.PT_LOAD, 6, 0x2d10, 0x3d10, 0x100, 0x200, PAGE)]
        self.assertEqual(elf.load_bias(Fake(), [(0x555000, 0x556000, 0)]), 0x555000)
        self.assertEqual(elf.load_bias(Fake(), [(0x558000, 0x559000, 0x2000)]), 0x555000)
        self.assertIsNone(elf.load_bias(Fake(), [(0x558000, 0x559000, 0x9000)]))

    def test_parse_notes_stops_at_a_cut(self):
        blob = note("CORE", 1, b"abcd") + note("CORE", 2, b"efgh12")
        self.assertEqual([(n.name, n.type, n.desc) for n in elf.parse_notes(blob)],
                         [("CORE", 1, b"abcd"), ("CORE", 2, b"efgh12")])
        self.assertEqual(len(elf.parse_notes(blob[:-4])), 1)


if __name__ == "__main__":
    unittest.main()
