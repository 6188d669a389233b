/*
 * debug_stripped.c — a program built -O2 -s (no .symtab) that finds its own
 * debug table through the dynamic symbol and through the .rgc_debug
 * section, as a tool reading a stripped program would; test_debug.c runs
 * it.  Prints "symbol=0x... section=0x... table=0x..." and exits 0, or
 * names what it could not find and exits 1.
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rgc.h"
#include "rgc_debug.h"

static int section_addr(const char *name, uint64_t *addr)
{
    FILE *f = fopen("/proc/self/exe", "rb");
    if (!f)
        return -1;
    Elf64_Ehdr eh;
    int ok = fread(&eh, sizeof eh, 1, f) == 1 && eh.e_shentsize == sizeof(Elf64_Shdr) && eh.e_shnum > 0;
    Elf64_Shdr *sh = ok ? calloc(eh.e_shnum, sizeof *sh) : NULL;
    ok = sh && fseek(f, (long)eh.e_shoff, SEEK_SET) == 0 && fread(sh, sizeof *sh, eh.e_shnum, f) == eh.e_shnum;
    char *names = ok ? malloc(sh[eh.e_shstrndx].sh_size) : NULL;
    ok = names && fseek(f, (long)sh[eh.e_shstrndx].sh_offset, SEEK_SET) == 0 &&
         fread(names, 1, sh[eh.e_shstrndx].sh_size, f) == sh[eh.e_shstrndx].sh_size;
    int found = -1, symtab = 0;
    for (unsigned i = 0; ok && i < eh.e_shnum; i++) {
        if (strcmp(names + sh[i].sh_name, name) == 0) {
            *addr = sh[i].sh_addr;
            found = 0;
        }
        symtab |= sh[i].sh_type == SHT_SYMTAB;
    }
    free(names);
    free(sh);
    fclose(f);
    if (symtab) {
        fprintf(stderr, "debug_stripped: has a .symtab: not stripped\n");
        return -1;
    }
    return found;
}

static int first_bias(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    *(uint64_t *)arg = info->dlpi_addr;
    return 1;
}

int main(void)
{
    rgc_heap_t *h = rgc_heap_new(NULL); /* initializes the runtime root */
    const rgc_debug_table_t *sym = dlsym(RTLD_DEFAULT, RGC_DEBUG_SYMBOL);
    uint64_t sec = 0, bias = 0;
    if (!sym) {
        fprintf(stderr, "debug_stripped: no dynamic symbol %s\n", RGC_DEBUG_SYMBOL);
        return 1;
    }
    if (section_addr(RGC_DEBUG_SECTION, &sec) < 0) {
        fprintf(stderr, "debug_stripped: no section %s\n", RGC_DEBUG_SECTION);
        return 1;
    }
    dl_iterate_phdr(first_bias, &bias);
    const rgc_debug_table_t *t = (const rgc_debug_table_t *)(uintptr_t)(sec + bias);
    if (t != sym || memcmp(t->cookie, RGC_DEBUG_COOKIE, RGC_DEBUG_COOKIE_SIZE) != 0 ||
        t->version != RGC_DEBUG_VERSION || !t->initialized) {
        fprintf(stderr, "debug_stripped: the symbol (%p) and the section (%p) disagree, or the table is bad\n",
                (const void *)sym, (const void *)t);
        return 1;
    }
    printf("symbol=%p section=%p table=%p\n", (const void *)sym, (const void *)t, (const void *)&rgc_debug_table);
    rgc_heap_destroy(h);
    return 0;
}
