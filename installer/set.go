package installer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// StateDir is the directory below the destination where InstallPayload keeps, per runtime, the installed sets of
// binaries (one directory per set, named by its stamp), the link current to the set in use, and the manifest.
const StateDir = ".runtime-sandbox"

const (
	currentLink  = "current"
	manifestFile = "manifest.json"
)

// Manifest is what InstallPayload installed for a runtime: the stamp of the set in use and the names it links into
// the destination. It is how a later installer knows which names a new payload dropped.
type Manifest struct {
	// Stamp names the set: a digest of its names, modes and contents.
	Stamp string `json:"stamp"`
	// Files are the names of the set's binaries, linked from the destination, in lexical order.
	Files []string `json:"files"`
}

// Changes is what InstallPayload changed.
type Changes struct {
	// Stamp is the stamp of the set now in use.
	Stamp string
	// Changed are the version directories replaced, "set <stamp>" when the set was switched, and the names linked
	// anew, in that order.
	Changed []string
	// Removed are the names of an earlier payload that the new one no longer ships, removed from the destination.
	Removed []string
}

// InstallPayload installs the payload directory src of the runtime name into dst so that the node never runs a mix
// of two payloads' binaries:
//
//   - the directories versionDirs (relative to src, e.g. kata/3.29.0) are installed as a whole each (InstallDir);
//   - the other files of src, its top-level binaries (e.g. runsc and containerd-shim-runsc-v1), form the set: it is
//     assembled in a directory of its own named by its stamp below dst/.runtime-sandbox/<name>/, the link current
//     there is switched to it with one rename, and each binary's name in dst is a link through current. A lookup of
//     any of them (containerd and the shims find them on the PATH) sees the whole old or the whole new set;
//   - a manifest records the set's names: names an earlier payload shipped and this one does not are removed from
//     dst, and sets other than the current one are removed (running processes keep their inodes).
//
// A top-level directory of src that is neither one of versionDirs nor holds one is refused, as is any entry that
// is neither a directory nor a regular file. Verify tells whether what is installed is the whole set.
func InstallPayload(src, dst, name string, versionDirs ...string) (*Changes, error) {
	if err := checkSource(src); err != nil {
		return nil, err
	}
	files, err := setFiles(src, versionDirs)
	if err != nil {
		return nil, err
	}
	out := &Changes{}
	for _, dir := range versionDirs {
		replaced, err := InstallDir(filepath.Join(src, dir), filepath.Join(dst, dir))
		if err != nil {
			return nil, err
		}
		if replaced {
			out.Changed = append(out.Changed, dir)
		}
	}
	if out.Stamp, err = stamp(src, files); err != nil {
		return nil, err
	}
	state := filepath.Join(dst, StateDir, name)
	previous, err := ReadManifest(dst, name)
	if err != nil {
		return nil, err
	}
	switched, err := installSet(src, files, state, out.Stamp)
	if err != nil {
		return nil, err
	}
	if switched {
		out.Changed = append(out.Changed, "set "+out.Stamp)
	}
	for _, f := range files {
		linked, err := link(filepath.Join(dst, f), filepath.Join(StateDir, name, currentLink, f))
		if err != nil {
			return nil, err
		}
		if linked {
			out.Changed = append(out.Changed, f)
		}
	}
	if err := writeManifest(state, Manifest{Stamp: out.Stamp, Files: files}); err != nil {
		return nil, err
	}
	if previous != nil {
		for _, f := range previous.Files {
			if slices.Contains(files, f) {
				continue
			}
			if err := removeDropped(filepath.Join(dst, f), filepath.Join(StateDir, name, currentLink, f)); err != nil {
				return nil, err
			}
			out.Removed = append(out.Removed, f)
		}
	}
	if err := removeOtherSets(state, out.Stamp); err != nil {
		return nil, err
	}
	return out, nil
}

// setFiles returns the names of the top-level regular files of src in lexical order, and refuses a top-level
// directory that neither is nor holds one of versionDirs.
func setFiles(src string, versionDirs []string) ([]string, error) {
	entries, err := os.ReadDir(src)
	if err != nil {
		return nil, fmt.Errorf("reading source %s: %w", src, err)
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() {
			files = append(files, e.Name())
			continue
		}
		if !slices.ContainsFunc(versionDirs, func(d string) bool { return d == e.Name() || strings.HasPrefix(d, e.Name()+"/") }) {
			return nil, fmt.Errorf("source %s has a directory %s that is no version directory (%v): the payload's binaries are its top-level files", src, e.Name(), versionDirs)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("source %s has no binaries at its top level", src)
	}
	return files, nil
}

// stamp returns a digest of the names, permissions and contents of the files of dir.
func stamp(dir string, files []string) (string, error) {
	h := sha256.New()
	for _, f := range files {
		path := filepath.Join(dir, f)
		info, err := os.Stat(path)
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", path, err)
		}
		sum, err := sha256File(path)
		if err != nil {
			return "", fmt.Errorf("hashing %s: %w", path, err)
		}
		fmt.Fprintf(h, "%s\x00%o\x00%x\n", f, info.Mode()&installedBits, sum)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// installSet puts the files of src into state/<stamp> (assembled and synced in a staging directory, then renamed
// into place; a tampered one is exchanged for a fresh copy) and switches state/current to it with one rename. It
// reports whether current changed.
func installSet(src string, files []string, state, stampName string) (bool, error) {
	if err := os.MkdirAll(state, 0o755); err != nil {
		return false, fmt.Errorf("creating %s: %w", state, err)
	}
	target := filepath.Join(state, stampName)
	if have, err := stamp(target, files); err != nil || have != stampName || !onlyFiles(target, files) {
		staging, err := os.MkdirTemp(state, stagingPrefix+stampName+"-")
		if err != nil {
			return false, fmt.Errorf("creating a staging directory for %s: %w", target, err)
		}
		defer os.RemoveAll(staging) // after an exchange, it holds the tampered tree
		if err := os.Chmod(staging, 0o755); err != nil {
			return false, fmt.Errorf("setting the mode of %s: %w", staging, err)
		}
		for _, f := range files {
			info, err := os.Stat(filepath.Join(src, f))
			if err != nil {
				return false, fmt.Errorf("reading source %s: %w", filepath.Join(src, f), err)
			}
			if _, err := installFile(filepath.Join(src, f), filepath.Join(staging, f), info); err != nil {
				return false, err
			}
		}
		if err := syncTree(staging); err != nil {
			return false, fmt.Errorf("syncing %s: %w", staging, err)
		}
		if err := switchDir(staging, target); err != nil {
			return false, err
		}
	}
	return link(filepath.Join(state, currentLink), stampName)
}

// onlyFiles reports whether dir holds exactly the entries files.
func onlyFiles(dir string, files []string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return slices.Equal(names, files)
}

// link makes path a symbolic link to target, replacing what is there with one rename, and reports whether it
// changed path. A link that already points to target is left alone.
func link(path, target string) (bool, error) {
	if have, err := os.Readlink(path); err == nil && have == target {
		return false, nil
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-link")
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("removing leftover %s: %w", tmp, err)
	}
	if err := os.Symlink(target, tmp); err != nil {
		return false, fmt.Errorf("linking %s to %s: %w", tmp, target, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return false, fmt.Errorf("renaming %s to %s: %w", tmp, path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return false, fmt.Errorf("syncing directory %s after linking %s: %w", filepath.Dir(path), path, err)
	}
	return true, nil
}

// removeDropped removes path, a name an earlier payload installed, when it is still the link the installer made
// (target) or a regular file (installed before the sets existed); anything else is not ours and stays.
func removeDropped(path, target string) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inspecting %s: %w", path, err)
	}
	if have, _ := os.Readlink(path); have != target && !info.Mode().IsRegular() {
		return nil
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("removing %s, which the new payload no longer ships: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// removeOtherSets removes the sets below state other than keep, and staging leftovers.
func removeOtherSets(state, keep string) error {
	entries, err := os.ReadDir(state)
	if err != nil {
		return fmt.Errorf("reading %s: %w", state, err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == keep {
			continue
		}
		if err := os.RemoveAll(filepath.Join(state, e.Name())); err != nil {
			return fmt.Errorf("removing the old set %s: %w", filepath.Join(state, e.Name()), err)
		}
	}
	return nil
}

// ReadManifest returns the manifest of the runtime name below dst, or nil when there is none.
func ReadManifest(dst, name string) (*Manifest, error) {
	path := filepath.Join(dst, StateDir, name, manifestFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	m := &Manifest{}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	return m, nil
}

// writeManifest writes m to state/manifest.json atomically.
func writeManifest(state string, m Manifest) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(state, "."+manifestFile+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating temporary file for the manifest in %s: %w", state, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("syncing %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(state, manifestFile)); err != nil {
		return fmt.Errorf("renaming %s to the manifest: %w", tmp.Name(), err)
	}
	return syncDir(state)
}

// Verify tells whether the binaries the destination dst offers for the runtime name are the whole set its manifest
// records, all from one payload: every name resolves through current to a file of the set, and the files hash to the
// recorded stamp. The error names what does not.
func Verify(dst, name string) error {
	m, err := ReadManifest(dst, name)
	if err != nil {
		return err
	}
	if m == nil {
		return fmt.Errorf("no manifest of %s in %s: nothing installed yet", name, filepath.Join(dst, StateDir, name))
	}
	var errs []error
	want := filepath.Join(StateDir, name, currentLink)
	for _, f := range m.Files {
		if have, err := os.Readlink(filepath.Join(dst, f)); err != nil || have != filepath.Join(want, f) {
			errs = append(errs, fmt.Errorf("%s is not the link to %s of the installed set", filepath.Join(dst, f), filepath.Join(want, f)))
		}
	}
	if have, err := stamp(filepath.Join(dst, want), m.Files); err != nil {
		errs = append(errs, fmt.Errorf("the installed set %s is incomplete: %w", filepath.Join(dst, want), err))
	} else if have != m.Stamp {
		errs = append(errs, fmt.Errorf("the installed set %s has stamp %s, its manifest records %s: its files changed", filepath.Join(dst, want), have, m.Stamp))
	}
	return errors.Join(errs...)
}
