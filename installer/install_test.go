package installer_test

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/gardener/gardener-extension-runtime-sandbox/installer"
)

// file is the content and mode of a file in a test tree.
type file struct {
	content string
	mode    fs.FileMode
}

// image is the content of the installer image's binary directory in the tests.
var image = map[string]file{
	"runsc":                         {"runsc binary", 0o755},
	"containerd-shim-runsc-v1":      {"runsc shim", 0o755},
	"containerd-shim-kata-v2":       {"kata shim", 0o750},
	"kata/configuration.toml":       {"[hypervisor.qemu]\n", 0o644},
	"kata/configuration-fc/secret":  {"only for root", 0o600},
	"kata/configuration-fc/fc.toml": {"[hypervisor.firecracker]\n", 0o644},
}

// write creates the files of tree below dir.
func write(dir string, tree map[string]file) {
	GinkgoHelper()
	for rel, f := range tree {
		path := filepath.Join(dir, rel)
		Expect(os.MkdirAll(filepath.Dir(path), 0o755)).To(Succeed())
		Expect(os.WriteFile(path, []byte(f.content), f.mode)).To(Succeed())
		Expect(os.Chmod(path, f.mode)).To(Succeed()) // WriteFile's mode is subject to the umask
	}
}

// read returns the regular files below dir with their content and mode.
func read(dir string) map[string]file {
	GinkgoHelper()
	tree := map[string]file{}
	Expect(filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		tree[rel] = file{string(content), info.Mode()}
		return err
	})).To(Succeed())
	return tree
}

// inode returns the inode number of the file at path.
func inode(path string) uint64 {
	GinkgoHelper()
	info, err := os.Stat(path)
	Expect(err).NotTo(HaveOccurred())
	return info.Sys().(*syscall.Stat_t).Ino
}

// tempFiles returns the paths below dir that look like the temporary files of Install.
func tempFiles(dir string) []string {
	GinkgoHelper()
	var temps []string
	Expect(filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if strings.Contains(filepath.Base(path), ".tmp-") {
			temps = append(temps, path)
		}
		return err
	})).To(Succeed())
	return temps
}

// nobody is the user the failure-path tests act as when they run as root (as CI does): root reads and writes files
// of any mode, so the failures they provoke would not happen.
const nobody = 65534

// actAsNobody makes the process act as nobody until the end of the spec when it runs as root, so that file modes
// apply to it. The test tree is opened up for nobody to walk; the effective user is restored at cleanup (Go
// applies it to all threads).
func actAsNobody() {
	GinkgoHelper()
	if os.Geteuid() != 0 {
		return
	}
	Expect(filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(path, nobody, nobody)
	})).To(Succeed())
	// The temporary directories above the tree are root's and private: let nobody pass through them.
	for dir := filepath.Dir(root); dir != os.TempDir() && dir != "/"; dir = filepath.Dir(dir) {
		info, err := os.Stat(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.Chmod(dir, info.Mode().Perm()|0o111)).To(Succeed())
	}
	Expect(syscall.Setegid(nobody)).To(Succeed())
	Expect(syscall.Seteuid(nobody)).To(Succeed())
	DeferCleanup(func() {
		Expect(syscall.Seteuid(0)).To(Succeed())
		Expect(syscall.Setegid(0)).To(Succeed())
	})
}

// root is the host root of a spec, src the image's directory and dst the hostPath mount below it.
var root, src, dst string

var _ = Describe("Install", func() {
	BeforeEach(func() {
		// The host root: the image's directory and the hostPath mount are on one file system, like in the pod.
		root = GinkgoT().TempDir()
		src = filepath.Join(root, "installer", "bin")
		dst = filepath.Join(root, "var", "bin", "containerruntimes")
		write(src, image)
		Expect(os.MkdirAll(dst, 0o755)).To(Succeed())
	})

	It("creates every file with its mode and relative layout and reports all of them", func() {
		changed, err := installer.Install(src, dst)
		Expect(err).NotTo(HaveOccurred())
		Expect(changed).To(ConsistOf(
			"runsc", "containerd-shim-runsc-v1", "containerd-shim-kata-v2",
			"kata/configuration.toml", "kata/configuration-fc/secret", "kata/configuration-fc/fc.toml",
		))
		Expect(read(dst)).To(Equal(image))
		Expect(tempFiles(dst)).To(BeEmpty())
	})

	It("creates the destination when it is missing", func() {
		Expect(os.RemoveAll(dst)).To(Succeed())
		_, err := installer.Install(src, dst)
		Expect(err).NotTo(HaveOccurred())
		Expect(read(dst)).To(Equal(image))
	})

	DescribeTable("refuses a source with an entry that is neither a directory nor a regular file, and writes nothing",
		func(create func(path string) error, kind string) {
			path := filepath.Join(src, "kata", "odd")
			Expect(create(path)).To(Succeed())
			Expect(os.RemoveAll(dst)).To(Succeed())
			changed, err := installer.Install(src, dst)
			Expect(err).To(MatchError(ContainSubstring("source " + path + " is a " + kind + ", not a regular file or directory")))
			Expect(changed).To(BeEmpty())
			_, err = os.Stat(dst)
			Expect(err).To(MatchError(fs.ErrNotExist))
		},
		Entry("a symlink to a binary", func(path string) error { return os.Symlink("../runsc", path) }, "symlink"),
		Entry("a symlink to the host's root", func(path string) error { return os.Symlink("/", path) }, "symlink"),
		Entry("a named pipe", func(path string) error { return syscall.Mkfifo(path, 0o644) }, "named pipe"),
	)

	It("installs setuid and setgid binaries without those bits, and strips them from an existing target", func() {
		Expect(os.Chmod(filepath.Join(src, "runsc"), 0o755|fs.ModeSetuid|fs.ModeSetgid)).To(Succeed())
		_, err := installer.Install(src, dst)
		Expect(err).NotTo(HaveOccurred())
		info, err := os.Stat(filepath.Join(dst, "runsc"))
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode()).To(Equal(fs.FileMode(0o755)))

		Expect(os.Chmod(filepath.Join(dst, "runsc"), 0o755|fs.ModeSetuid)).To(Succeed())
		changed, err := installer.Install(src, dst)
		Expect(err).NotTo(HaveOccurred())
		Expect(changed).To(Equal([]string{"runsc"}))
		info, err = os.Stat(filepath.Join(dst, "runsc"))
		Expect(err).NotTo(HaveOccurred())
		Expect(info.Mode()).To(Equal(fs.FileMode(0o755)))
	})

	Context("when the binaries were installed before", func() {
		var (
			target   string
			oldIno   uint64
			oldMtime = time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
		)

		BeforeEach(func() {
			_, err := installer.Install(src, dst)
			Expect(err).NotTo(HaveOccurred())
			target = filepath.Join(dst, "runsc")
			Expect(os.Chtimes(target, oldMtime, oldMtime)).To(Succeed())
			oldIno = inode(target)
		})

		It("changes nothing when every target is identical", func() {
			before := map[string]uint64{}
			for rel := range image {
				before[rel] = inode(filepath.Join(dst, rel))
			}
			changed, err := installer.Install(src, dst)
			Expect(err).NotTo(HaveOccurred())
			Expect(changed).To(BeEmpty())
			for rel, ino := range before {
				Expect(inode(filepath.Join(dst, rel))).To(Equal(ino), rel)
			}
			info, err := os.Stat(target)
			Expect(err).NotTo(HaveOccurred())
			Expect(info.ModTime()).To(BeTemporally("==", oldMtime))
		})

		DescribeTable("replaces a target by a rename exactly when it differs from its source",
			func(change func(), replaced bool) {
				change()
				// The inode of the target as Install finds it: a deleted target's inode number may be reused.
				var before uint64
				if info, err := os.Lstat(target); err == nil {
					before = info.Sys().(*syscall.Stat_t).Ino
				}
				changed, err := installer.Install(src, dst)
				Expect(err).NotTo(HaveOccurred())
				Expect(read(dst)).To(Equal(read(src)))
				Expect(tempFiles(dst)).To(BeEmpty())
				info, err := os.Lstat(target)
				Expect(err).NotTo(HaveOccurred())
				Expect(info.Mode().IsRegular()).To(BeTrue())
				if replaced {
					Expect(changed).To(Equal([]string{"runsc"}))
					Expect(info.Sys().(*syscall.Stat_t).Ino).NotTo(Equal(before))
					Expect(info.ModTime()).NotTo(BeTemporally("==", oldMtime))
				} else {
					Expect(changed).To(BeEmpty())
					Expect(inode(target)).To(Equal(oldIno))
					Expect(info.ModTime()).To(BeTemporally("==", oldMtime))
				}
			},
			Entry("identical source", func() {}, false),
			Entry("source with new content of the same size", func() {
				write(src, map[string]file{"runsc": {strings.Repeat("x", len(image["runsc"].content)), 0o755}})
			}, true),
			Entry("source with new content of another size", func() {
				write(src, map[string]file{"runsc": {"runsc binary v2", 0o755}})
			}, true),
			Entry("source with only a new mode", func() {
				Expect(os.Chmod(filepath.Join(src, "runsc"), 0o700)).To(Succeed())
			}, true),
			Entry("target with only a changed mode", func() {
				Expect(os.Chmod(target, 0o644)).To(Succeed())
			}, true),
			Entry("deleted target", func() {
				Expect(os.Remove(target)).To(Succeed())
			}, true),
			Entry("target that is a symlink to identical content", func() {
				elsewhere := filepath.Join(GinkgoT().TempDir(), "runsc")
				Expect(os.Rename(target, elsewhere)).To(Succeed())
				Expect(os.Symlink(elsewhere, target)).To(Succeed())
			}, true),
		)

		It("leaves a process that has the old target open with the old content", func() {
			running, err := os.Open(target)
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(running.Close)

			write(src, map[string]file{"runsc": {"runsc binary v2, a longer one", 0o755}})
			changed, err := installer.Install(src, dst)
			Expect(err).NotTo(HaveOccurred())
			Expect(changed).To(Equal([]string{"runsc"}))

			old, err := io.ReadAll(running)
			Expect(err).NotTo(HaveOccurred())
			Expect(string(old)).To(Equal(image["runsc"].content), "the old inode was truncated or written in place")
			Expect(os.ReadFile(target)).To(BeEquivalentTo("runsc binary v2, a longer one"))
			Expect(inode(target)).NotTo(Equal(oldIno))
		})
	})

	DescribeTable("fails naming the file and the step, and leaves no temporary file",
		func(prepare func() (mentioned string), step string) {
			mentioned := prepare()
			_, err := installer.Install(src, dst)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(mentioned))
			Expect(err.Error()).To(ContainSubstring(step))
			if _, statErr := os.Stat(dst); statErr == nil {
				Expect(tempFiles(dst)).To(BeEmpty())
			}
		},
		Entry("missing source", func() string {
			src = filepath.Join(src, "missing")
			return src
		}, "reading source"),
		Entry("unreadable source file", func() string {
			actAsNobody()
			path := filepath.Join(src, "kata", "configuration.toml")
			Expect(os.Chmod(path, 0)).To(Succeed())
			return path
		}, "opening source"),
		Entry("destination that is a regular file", func() string {
			Expect(os.RemoveAll(dst)).To(Succeed())
			Expect(os.WriteFile(dst, nil, 0o644)).To(Succeed())
			return dst
		}, "creating directory"),
		Entry("target that is a directory", func() string {
			target := filepath.Join(dst, "containerd-shim-kata-v2")
			Expect(os.MkdirAll(filepath.Join(target, "not-empty"), 0o755)).To(Succeed())
			return target
		}, "renaming"),
		Entry("read-only destination", func() string {
			actAsNobody()
			Expect(os.Chmod(dst, 0o555)).To(Succeed())
			DeferCleanup(os.Chmod, dst, fs.FileMode(0o755))
			return filepath.Join(dst, "containerd-shim-kata-v2")
		}, "creating temporary file"),
	)
})
