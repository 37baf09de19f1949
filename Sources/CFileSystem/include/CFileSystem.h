/* CFileSystem: the one file-system call Swift's Glibc module does not expose — an atomic exchange of
 * two paths (Linux renameat2 RENAME_EXCHANGE, macOS renamex_np RENAME_SWAP). Checkpoint folders are
 * replaced with it, so a crash leaves either the old folder or the new one, never a mix. */
#ifndef CFILESYSTEM_H
#define CFILESYSTEM_H

/* Atomically swaps the directory entries `a` and `b` (both must exist). 0 on success, else -1 with
 * errno set (EINVAL/ENOSYS where the file system or kernel cannot exchange). */
int fs_exchange_paths(const char *a, const char *b);

#endif
