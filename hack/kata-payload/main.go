// Command kata-payload assembles and checks the Kata part of the installer payload (`make payload`) from the
// layout in runtimes/kata, the same description the configuration rendering uses:
//
//	kata-payload assemble --kata-deploy-root DIR --out DIR   copy Kata's artifacts from the filesystem of the
//	                                                          pinned kata-deploy image into the payload, then check it
//	kata-payload check DIR                                    check a payload directory against the layout
//	kata-payload stand-ins DIR                                write stand-ins for the kata-deploy image's files (the
//	                                                          layout of its Kata tree, with links where it has them),
//	                                                          for machines that cannot pull the image
//	kata-payload image                                        print the pinned kata-deploy image
//
// --kata-deploy-root is the root of the kata-deploy image's filesystem: the artifacts are read below
// <root>/opt/kata-artifacts/opt/kata. Links there (the guest kernel and image are links to versioned names) are
// followed but must stay inside that tree; the payload holds regular files only, as the installer refuses links.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gardener/gardener-extension-runtime-sandbox/runtimes/kata"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kata-payload:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: kata-payload assemble|check|stand-ins|image [arguments]")
	}
	switch args[0] {
	case "assemble":
		flags := flag.NewFlagSet("assemble", flag.ContinueOnError)
		root := flags.String("kata-deploy-root", "", "root of the kata-deploy image's filesystem (required)")
		dst := flags.String("out", "", "the Kata payload directory, the image's /installer/bin/kata (required)")
		if err := flags.Parse(args[1:]); err != nil {
			return err
		}
		if *root == "" || *dst == "" {
			return errors.New("assemble needs --kata-deploy-root and --out")
		}
		if err := assemble(filepath.Join(*root, kata.KataDeployRoot), *dst, out); err != nil {
			return err
		}
		return check(*dst, out)
	case "check":
		if len(args) != 2 {
			return errors.New("usage: kata-payload check DIR")
		}
		return check(args[1], out)
	case "stand-ins":
		if len(args) != 2 {
			return errors.New("usage: kata-payload stand-ins DIR")
		}
		return standIns(filepath.Join(args[1], kata.KataDeployRoot))
	case "image":
		_, err := fmt.Fprintln(out, kata.KataDeployImage)
		return err
	default:
		return fmt.Errorf("unknown command %q: assemble, check, stand-ins or image", args[0])
	}
}

// assemble copies every artifact of the layout from the kata-deploy tree src into dst/kata/<Version>/ and says
// where each comes from.
func assemble(src, dst string, out io.Writer) error {
	root, err := filepath.EvalSymlinks(src)
	if err != nil {
		return fmt.Errorf("resolving the kata-deploy tree %s: %w", src, err)
	}
	versionDir := filepath.Join(dst, kata.VersionsDir, kata.Version)
	if err := os.RemoveAll(versionDir); err != nil {
		return fmt.Errorf("clearing %s: %w", versionDir, err)
	}
	for _, a := range kata.Artifacts() {
		from, err := resolveInside(root, filepath.Join(root, filepath.FromSlash(a.From)))
		if err != nil {
			return err
		}
		target := filepath.Join(versionDir, filepath.FromSlash(a.Path))
		if a.Dir {
			err = copyTree(root, from, target)
		} else {
			err = copyFile(from, target, a.Executable)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s/%s/%s\tfrom %s %s/%s\t(for %v)\n", kata.VersionsDir, kata.Version, a.Path, kata.KataDeployImage, kata.KataDeployRoot, a.From, a.Hypervisors)
	}
	fmt.Fprintf(out, "%s\tbuilt from the Kata runtime module at commit %s (hack/payload)\n", kata.ShimName, kata.ReleaseCommit)
	return nil
}

// resolveInside resolves the links of p and refuses a result outside root (itself resolved).
func resolveInside(root, p string) (string, error) {
	resolved, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", fmt.Errorf("kata-deploy's %s: %w", p, err)
	}
	if resolved != root && !strings.HasPrefix(resolved, root+string(filepath.Separator)) {
		return "", fmt.Errorf("kata-deploy's %s resolves to %s, outside %s", p, resolved, root)
	}
	return resolved, nil
}

// copyTree copies the directory from (inside root) to target: directories and regular files, links to regular
// files inside root followed.
func copyTree(root, from, target string) error {
	return filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, p)
		if err != nil {
			return err
		}
		dst := filepath.Join(target, rel)
		source := p
		if d.Type()&fs.ModeSymlink != 0 {
			if source, err = resolveInside(root, p); err != nil {
				return err
			}
		}
		info, err := os.Stat(source)
		switch {
		case err != nil:
			return err
		case d.IsDir():
			return os.MkdirAll(dst, 0o755)
		case info.Mode().IsRegular():
			return copyFile(source, dst, info.Mode().Perm()&0o111 != 0)
		default:
			return fmt.Errorf("%s is neither a directory nor a regular file (a link to a directory is not followed)", p)
		}
	})
}

// copyFile copies the regular file from to target, mode 0755 for programs and 0644 for the rest.
func copyFile(from, target string, executable bool) error {
	info, err := os.Stat(from)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", from)
	}
	mode := os.FileMode(0o644)
	if executable {
		mode = 0o755
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, in); err != nil {
		_ = f.Close()
		return fmt.Errorf("copying %s to %s: %w", from, target, err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(target, mode)
}

// check checks the payload dir against the layout.
func check(dir string, out io.Writer) error {
	if err := kata.CheckPayload(dir); err != nil {
		return fmt.Errorf("the Kata payload in %s does not match the layout of runtimes/kata:\n%w", dir, err)
	}
	fmt.Fprintf(out, "the Kata payload in %s matches the layout of Kata %s\n", dir, kata.Version)
	return nil
}

// standIns writes stand-ins for the kata-deploy tree at dir: every artifact's source as a small file saying what it
// stands for, the guest kernel and image as links to versioned names (as in the image), QEMU's firmware directory
// with its required files.
func standIns(dir string) error {
	write := func(rel, content string, mode os.FileMode) error {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, []byte("stand-in for kata-deploy's "+content+"\n"), mode)
	}
	for _, a := range kata.Artifacts() {
		var err error
		switch {
		case a.Dir:
			for _, f := range a.Required {
				if err = write(a.From+"/"+f, a.From+"/"+f, 0o644); err != nil {
					break
				}
			}
		case strings.HasPrefix(a.From, "share/kata-containers/"):
			// kata-deploy links the kernel and image names to versioned files.
			versioned := a.From + "-" + kata.Version
			if err = write(versioned, a.From, 0o644); err == nil {
				err = os.Symlink(filepath.Base(versioned), filepath.Join(dir, filepath.FromSlash(a.From)))
			}
		case a.Executable:
			err = write(a.From, a.From, 0o755)
		default:
			err = write(a.From, a.From, 0o644)
		}
		if err != nil {
			return fmt.Errorf("writing the stand-in of %s: %w", a.From, err)
		}
	}
	return nil
}
