"""Minimal ELF64 little-endian parsing: what the reader needs and no more.

Program headers (segments), section headers (to find ".rgc_debug"), the
symbol tables (.dynsym with .dynstr, and .symtab when present, to find
"rgc_debug_table") and notes (NT_FILE, NT_AUXV, NT_PRPSINFO of a core).
The file is read with seek and read, never loaded whole: a core can be
large.
"""

import os
import struct
from collections import namedtuple

from .errors import ElfError

ET_EXEC = 2
ET_DYN = 3
ET_CORE = 4

PT_LOAD = 1
PT_DYNAMIC = 2
PT_NOTE = 4

PF_X = 1
PF_W = 2
PF_R = 4

SHT_SYMTAB = 2
SHT_NOBITS = 8
SHT_DYNSYM = 11

STT_FUNC = 2
STT_GNU_IFUNC = 10

# Symbol and string tables larger than this are not read.
MAX_SYMTAB = 1 << 28

NT_PRSTATUS = 1
NT_PRPSINFO = 3
NT_AUXV = 6
NT_FILE = 0x46494C45

AT_PHDR = 3
AT_ENTRY = 9

_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SYM = struct.Struct("<IBBHQQ")

Segment = namedtuple("Segment", "type flags offset vaddr filesz memsz align")
Section = namedtuple("Section", "name type flags addr offset size link entsize")
Note = namedtuple("Note", "name type desc")


def segment_perms(flags):
    """'rwx'-style permissions of a segment's p_flags."""
    return "".join(c if flags & bit else "-" for c, bit in (("r", PF_R), ("w", PF_W), ("x", PF_X)))


def parse_notes(data):
    """The notes of a PT_NOTE segment's bytes (4-byte aligned, as Linux
    writes them), as Note(name, type, desc)."""
    notes = []
    pos = 0
    end = len(data)
    while pos + 12 <= end:
        namesz, descsz, ntype = struct.unpack_from("<III", data, pos)
        pos += 12
        name_end = pos + namesz
        desc_pos = pos + ((namesz + 3) & ~3)
        desc_end = desc_pos + descsz
        if name_end > end or desc_end > end:
            break  # cut short: keep what was whole
        name = bytes(data[pos:name_end]).rstrip(b"\0").decode("latin-1")
        notes.append(Note(name, ntype, bytes(data[desc_pos:desc_end])))
        pos = desc_pos + ((descsz + 3) & ~3)
    return notes


class ElfFile:
    """An ELF64 little-endian file on disk."""

    def __init__(self, path):
        self.path = path
        try:
            self._f = open(path, "rb")
        except OSError as e:
            raise ElfError("cannot open %s: %s" % (path, e.strerror or e)) from None
        try:
            self.file_size = os.fstat(self._f.fileno()).st_size
            ident = self._pread(0, 64)
            if len(ident) < 64 or ident[:4] != b"\x7fELF":
                raise ElfError("%s is not an ELF file" % path)
            if ident[4] != 2 or ident[5] != 1:
                raise ElfError("%s is not a 64-bit little-endian ELF file" % path)
            (_, self.type, self.machine, _, self.entry, self.phoff, self.shoff, _, _,
             self.phentsize, self.phnum, self.shentsize, self.shnum, self.shstrndx) = _EHDR.unpack(ident)
        except BaseException:
            self._f.close()
            raise
        self._segments = None
        self._sections = None

    def close(self):
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _pread(self, offset, size):
        """Up to size bytes at offset (fewer at the end of the file)."""
        if offset < 0 or size < 0:
            raise ElfError("%s: bad offset %d" % (self.path, offset))
        self._f.seek(offset)
        return self._f.read(size)

    def read_exact(self, offset, size, what):
        data = self._pread(offset, size)
        if len(data) != size:
            raise ElfError("%s: %s at byte %d (%d bytes) lies past the end of the file (%d bytes)"
                           % (self.path, what, offset, size, self.file_size))
        return data

    def read_at(self, offset, size):
        """Whatever of [offset, offset + size) the file holds."""
        return self._pread(offset, size)

    # ---- program headers

    def segments(self):
        if self._segments is None:
            segs = []
            if self.phnum and self.phentsize < _PHDR.size:
                raise ElfError("%s: program header entries of %d bytes" % (self.path, self.phentsize))
            if self.phnum > 65535:
                raise ElfError("%s: %d program headers" % (self.path, self.phnum))
            table = self.read_exact(self.phoff, self.phnum * self.phentsize, "the program headers")
            for i in range(self.phnum):
                (ptype, flags, off, vaddr, _paddr, filesz, memsz, align) = _PHDR.unpack_from(
                    table, i * self.phentsize)
                segs.append(Segment(ptype, flags, off, vaddr, filesz, memsz, align))
            self._segments = segs
        return self._segments

    def loads(self):
        return [s for s in self.segments() if s.type == PT_LOAD]

    def notes(self):
        """The notes of every PT_NOTE segment (what the file holds of them)."""
        notes = []
        for s in self.segments():
            if s.type == PT_NOTE and s.filesz:
                notes.extend(parse_notes(self._pread(s.offset, min(s.filesz, 1 << 28))))
        return notes

    # ---- section headers

    def sections(self):
        if self._sections is None:
            secs = []
            if self.shoff and self.shnum:
                if self.shentsize < _SHDR.size:
                    raise ElfError("%s: section header entries of %d bytes" % (self.path, self.shentsize))
                table = self.read_exact(self.shoff, self.shnum * self.shentsize, "the section headers")
                raw = [_SHDR.unpack_from(table, i * self.shentsize) for i in range(self.shnum)]
                names = b""
                if self.shstrndx < len(raw):
                    s = raw[self.shstrndx]
                    names = self._pread(s[4], s[5])
                for (name, stype, flags, addr, off, size, link, _info, _align, entsize) in raw:
                    end = names.find(b"\0", name)
                    nm = names[name:end if end >= 0 else len(names)].decode("latin-1")
                    secs.append(Section(nm, stype, flags, addr, off, size, link, entsize))
            self._sections = secs
        return self._sections

    def section(self, name):
        for s in self.sections():
            if s.name == name:
                return s
        return None

    # ---- symbols

    def _lookup(self, symtab_type, name):
        secs = self.sections()
        want = name.encode()
        for s in secs:
            if s.type != symtab_type or s.link >= len(secs):
                continue
            strtab = secs[s.link]
            if strtab.size > MAX_SYMTAB or s.size > MAX_SYMTAB:
                continue
            strs = self._pread(strtab.offset, strtab.size)
            syms = self._pread(s.offset, s.size)
            ent = s.entsize or _SYM.size
            if ent < _SYM.size:
                continue
            for pos in range(0, len(syms) - _SYM.size + 1, ent):
                st_name, _info, _other, shndx, value, _size = _SYM.unpack_from(syms, pos)
                if shndx == 0 or st_name >= len(strs):
                    continue  # undefined here
                if strs.startswith(want, st_name) and strs[st_name + len(want):st_name + len(want) + 1] == b"\0":
                    return value
        return None

    def dynamic_symbol(self, name):
        """The value of a defined symbol of .dynsym, or None."""
        return self._lookup(SHT_DYNSYM, name)

    def static_symbol(self, name):
        """The value of a defined symbol of .symtab (absent when stripped), or None."""
        return self._lookup(SHT_SYMTAB, name)

    def functions(self):
        """The defined functions of .symtab, or of .dynsym when there is no
        .symtab: [(value, size, name)] sorted by value (the file's own
        addresses; add the load bias)."""
        secs = self.sections()
        for symtab_type in (SHT_SYMTAB, SHT_DYNSYM):
            tables = [s for s in secs if s.type == symtab_type and s.link < len(secs)]
            if tables:
                break
        out = []
        for s in tables:
            strtab = secs[s.link]
            ent = s.entsize or _SYM.size
            if strtab.size > MAX_SYMTAB or s.size > MAX_SYMTAB or ent < _SYM.size:
                continue
            strs = self._pread(strtab.offset, strtab.size)
            syms = self._pread(s.offset, s.size)
            for pos in range(0, len(syms) - _SYM.size + 1, ent):
                st_name, info, _other, shndx, value, size = _SYM.unpack_from(syms, pos)
                if shndx == 0 or info & 0xF not in (STT_FUNC, STT_GNU_IFUNC) or not value:
                    continue
                if st_name >= len(strs):
                    continue
                end = strs.find(b"\0", st_name)
                name = strs[st_name:end if end >= 0 else len(strs)].decode("utf-8", "replace")
                if name:
                    out.append((value, size, name))
        out.sort()
        return out


def load_bias(elf, mappings):
    """The load bias of elf given where its file is mapped.

    mappings: (start, end, file_offset) of the mappings of that file.  The
    bias is what is added to the file's virtual addresses: a PT_LOAD
    segment whose file offset falls in a mapping's range of the file lies
    at mapping start + (segment offset - mapping offset).  None when no
    segment is found mapped.
    """
    for seg in sorted(elf.loads(), key=lambda s: s.vaddr):
        for start, end, off in sorted(mappings):
            if off <= seg.offset < off + (end - start):
                return start + (seg.offset - off) - seg.vaddr
    return None
