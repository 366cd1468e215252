package installer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"golang.org/x/sys/unix"
)

// stagingPrefix starts the name of the directory a version directory is assembled in before it is switched into
// place; a leftover one (from an installer killed while copying) is removed by RemoveUnreferencedVersions.
const stagingPrefix = ".staging-"

// InstallDir installs the directory src as the directory dst as a whole, and reports whether it changed dst. When
// dst is missing or differs from src (a file added, missing or changed, in content or mode), a complete copy of
// src is assembled and synced next to dst, then switched into place with one rename: a reader sees either the old
// or the new tree, never a mix. A dst that exists is exchanged atomically (renameat2 RENAME_EXCHANGE) and the old
// tree is removed afterwards; processes that run or read its files keep their inodes. Entries of src must be
// directories and regular files (see checkSource).
func InstallDir(src, dst string) (bool, error) {
	if err := checkSource(src); err != nil {
		return false, err
	}
	same, err := sameTree(src, dst)
	if err != nil || same {
		return false, err
	}
	parent := filepath.Dir(dst)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return false, fmt.Errorf("creating %s: %w", parent, err)
	}
	staging, err := os.MkdirTemp(parent, stagingPrefix+filepath.Base(dst)+"-")
	if err != nil {
		return false, fmt.Errorf("creating a staging directory for %s: %w", dst, err)
	}
	defer os.RemoveAll(staging) // after a switch, it holds the old tree
	if err := os.Chmod(staging, 0o755); err != nil {
		return false, fmt.Errorf("setting the mode of %s: %w", staging, err)
	}
	if _, err := Install(src, staging); err != nil {
		return false, err
	}
	if err := syncTree(staging); err != nil {
		return false, fmt.Errorf("syncing %s: %w", staging, err)
	}
	if err := switchDir(staging, dst); err != nil {
		return false, err
	}
	if err := syncDir(parent); err != nil {
		return false, fmt.Errorf("syncing directory %s after switching %s: %w", parent, dst, err)
	}
	return true, nil
}

// switchDir puts the directory staging at dst in one step: a rename when dst is missing, an atomic exchange when
// it exists (staging then holds the old tree).
func switchDir(staging, dst string) error {
	err := unix.Renameat2(unix.AT_FDCWD, staging, unix.AT_FDCWD, dst, unix.RENAME_NOREPLACE)
	if !errors.Is(err, unix.EEXIST) {
		if err != nil {
			return fmt.Errorf("renaming %s to %s: %w", staging, dst, err)
		}
		return nil
	}
	if err := unix.Renameat2(unix.AT_FDCWD, staging, unix.AT_FDCWD, dst, unix.RENAME_EXCHANGE); err != nil {
		return fmt.Errorf("exchanging %s with %s: %w", dst, staging, err)
	}
	return nil
}

// sameTree reports whether dst holds exactly the directories and regular files of src, with the same modes and
// content (as Install would leave them).
func sameTree(src, dst string) (bool, error) {
	if _, err := os.Lstat(dst); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	want, err := listTree(src)
	if err != nil {
		return false, err
	}
	have, err := listTree(dst)
	if err != nil {
		return false, err
	}
	if !slices.Equal(want, have) {
		return false, nil
	}
	for _, rel := range want {
		info, err := os.Lstat(filepath.Join(src, rel))
		if err != nil {
			return false, fmt.Errorf("reading source %s: %w", rel, err)
		}
		if info.IsDir() {
			continue
		}
		same, err := identical(filepath.Join(src, rel), filepath.Join(dst, rel), info)
		if err != nil || !same {
			return false, err
		}
	}
	return true, nil
}

// listTree returns the relative paths below dir, directories marked with a trailing slash, other entries with
// their type, in lexical order.
func listTree(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		switch {
		case d.IsDir():
			rel += "/"
		case !d.Type().IsRegular():
			rel += " (" + describeType(d.Type()) + ")"
		}
		out = append(out, rel)
		return nil
	})
	return out, err
}

// syncTree flushes every file and directory below dir to disk.
func syncTree(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			_ = f.Close()
			return err
		}
		return f.Close()
	})
}

// versionName matches the names of version directories (e.g. 3.29.0, 3.30.0-rc0): only these and staging
// leftovers are ever removed from a versions directory.
var versionName = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]*)?$`)

// RemoveUnreferencedVersions removes the version directories below dir whose name is not in keep, and leftover
// staging directories, and returns the names it removed in lexical order. Other entries (the configuration files
// next to the versions) are left alone. A missing dir is not an error.
func RemoveUnreferencedVersions(dir string, keep map[string]bool) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	var removed []string
	for _, e := range entries {
		name := e.Name()
		stale := len(name) > len(stagingPrefix) && name[:len(stagingPrefix)] == stagingPrefix
		if !e.IsDir() || (!stale && (!versionName.MatchString(name) || keep[name])) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return removed, fmt.Errorf("removing %s: %w", filepath.Join(dir, name), err)
		}
		removed = append(removed, name)
	}
	if len(removed) > 0 {
		if err := syncDir(dir); err != nil {
			return removed, fmt.Errorf("syncing directory %s: %w", dir, err)
		}
	}
	return removed, nil
}
