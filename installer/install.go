// Package installer puts the binaries of a sandbox runtime (gVisor's runsc and its containerd shim, or the Kata shim
// and its configuration) on a node, and labels the node once they are there. It runs in the DaemonSet of a sandbox
// worker pool, with the host's ContainerRuntime binary path mounted via hostPath.
package installer

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// PayloadDir is the directory of the installer image that holds the runtime binaries, one folder per runtime
// type (see SourceDir).
const PayloadDir = "/installer/bin"

// SourceDir returns the directory of the installer image that holds runtimeType's binaries, e.g.
// /installer/bin/gvisor.
func SourceDir(runtimeType string) string { return filepath.Join(PayloadDir, runtimeType) }

// installedBits are the bits of a file mode that Install copies from a source file to its target: the
// permissions only. A setuid or setgid binary on the host would hand root to whoever can run it.
const installedBits = fs.ModePerm

// comparedBits are the bits of a target's mode that must match: a target with a setuid, setgid or sticky bit
// (e.g. left by another installer) is replaced by one without.
const comparedBits = fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky

// Install copies every regular file below the directory src into the directory dst, keeping the relative layout
// and the file permissions (never setuid, setgid or sticky bits), and returns the relative paths of the files it
// created or replaced, in lexical order. The directories dirs (relative to src, e.g. a version directory) are
// installed as a whole with InstallDir instead, and reported by their path when they changed. A target that already has the content and mode of its source is left
// alone. A file is replaced atomically: its new content is written to a temporary file in the target's directory,
// synced, and renamed over the target, and the directory is synced. The existing target is never opened for
// writing, so a process executing it keeps its old inode. An entry of src that is neither a directory nor a regular
// file (a symlink, a device, a socket) is refused before anything is written: it could point the host at anything.
func Install(src, dst string, dirs ...string) ([]string, error) {
	if err := checkSource(src); err != nil {
		return nil, err
	}
	var changed []string
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading source %s: %w", path, err)
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return fmt.Errorf("relating %s to source %s: %w", path, src, err)
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("reading source %s: %w", path, err)
		}
		if d.IsDir() && slices.Contains(dirs, rel) {
			replaced, err := InstallDir(path, target)
			if replaced {
				changed = append(changed, rel)
			}
			if err != nil {
				return err
			}
			return fs.SkipDir
		}
		if d.IsDir() {
			if err := os.MkdirAll(target, info.Mode().Perm()|0o700); err != nil {
				return fmt.Errorf("creating directory %s: %w", target, err)
			}
			return nil
		}
		replaced, err := installFile(path, target, info)
		if err != nil {
			return err
		}
		if replaced {
			changed = append(changed, rel)
		}
		return nil
	})
	return changed, err
}

// checkSource refuses a source tree with an entry that is neither a directory nor a regular file.
func checkSource(src string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading source %s: %w", path, err)
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return fmt.Errorf("source %s is a %s, not a regular file or directory: the payload must not hold links or special files", path, describeType(d.Type()))
		}
		return nil
	})
}

// describeType names the type of a directory entry that is neither a directory nor a regular file.
func describeType(t fs.FileMode) string {
	switch {
	case t&fs.ModeSymlink != 0:
		return "symlink"
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeDevice != 0:
		return "device"
	default:
		return "special file"
	}
}

// installFile puts the regular file source (described by info) at target, unless target is a regular file with
// the same mode and content already; it reports whether it wrote target.
func installFile(source, target string, info fs.FileInfo) (bool, error) {
	same, err := identical(source, target, info)
	if err != nil {
		return false, err
	}
	if same {
		return false, nil
	}
	return true, replace(source, target, info.Mode()&installedBits)
}

// identical reports whether target is a regular file with the mode, size and SHA-256 of source.
func identical(source, target string, info fs.FileInfo) (bool, error) {
	existing, err := os.Lstat(target)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("inspecting target %s: %w", target, err)
	}
	if !existing.Mode().IsRegular() || existing.Mode()&comparedBits != info.Mode()&installedBits || existing.Size() != info.Size() {
		return false, nil
	}
	sourceSum, err := sha256File(source)
	if err != nil {
		return false, fmt.Errorf("hashing source %s: %w", source, err)
	}
	targetSum, err := sha256File(target)
	if err != nil {
		return false, fmt.Errorf("hashing target %s: %w", target, err)
	}
	return bytes.Equal(sourceSum, targetSum), nil
}

// sha256File returns the SHA-256 of the content of the file at path.
func sha256File(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// replace writes the content of source with the given mode to a temporary file next to target, syncs it, renames
// it over target and syncs target's directory. The temporary file is removed when a step fails.
func replace(source, target string, mode fs.FileMode) (err error) {
	in, err := os.Open(source)
	if err != nil {
		return fmt.Errorf("opening source %s: %w", source, err)
	}
	defer in.Close()

	dir := filepath.Dir(target)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating temporary file for %s: %w", target, err)
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := io.Copy(tmp, in); err != nil {
		return fmt.Errorf("copying %s to %s: %w", source, tmp.Name(), err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("setting mode %v of %s for %s: %w", mode, tmp.Name(), target, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("syncing %s for %s: %w", tmp.Name(), target, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s for %s: %w", tmp.Name(), target, err)
	}
	if err := os.Rename(tmp.Name(), target); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", tmp.Name(), target, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("syncing directory %s after replacing %s: %w", dir, target, err)
	}
	return nil
}

// syncDir flushes the entries of the directory dir to disk, so that a rename in it survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		_ = d.Close()
		return err
	}
	return d.Close()
}
