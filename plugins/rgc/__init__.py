"""rgc: read the heaps of an rgc program from outside it.

A live process (/proc/PID/mem) or a core file is read through the debug
table the runtime exports (include/rgc_debug.h), with the standard library
alone and no debugger.  The modules:

  target   where bytes come from: ProcessTarget, CoreTarget (the interface
           a debugger adapter implements too)
  elf      minimal ELF64 parsing: segments, sections, symbols, notes
  table    the version 2 entries; finding the table (symbol, section, scan) and
           checking it
  heap     walking the runtime root, its types and its heaps
  trace    a heap's allocation traces: by site, by traceback, per block
  symbols  return addresses to function names (ELF symbols, load bias)
  reader   the command line (python3 -m rgc)
"""

from .errors import ElfError, NoTableError, RgcError, TableError, TargetError  # noqa: F401

__all__ = ["ElfError", "NoTableError", "RgcError", "TableError", "TargetError"]
