/*
 * bosun-monitor: the process runtime's per-container monitor (the job conmon does for CRI-O) and
 * its small namespace helpers. It is a C program because one runs per container for the
 * container's whole life: a few hundred KiB of memory instead of a Node.js process each.
 *
 *   bosun-monitor run --state DIR --log FILE [options] -- COMMAND [ARG...]
 *       Starts COMMAND as a container and stays with it, detached from the caller (its own
 *       session, reparented to init), so it outlives the agent. The caller's process exits 0
 *       once COMMAND was exec'd (DIR/pid then holds "PID MONITOR_PID STARTED_MS"), or 1 with
 *       the reason on stderr when it could not start (DIR/exit is then written with code 128).
 *       The monitor holds COMMAND's stdout/stderr pipes and appends them to FILE in the CRI log
 *       format ("<RFC3339Nano> stdout F text"); when COMMAND ends it writes DIR/exit:
 *       "EXIT_CODE FINISHED_MS" (128+signal for a signal death), then exits.
 *     options:
 *       --netns PATH          join this network namespace (a pod sandbox's)
 *       --overlay LOWER UPPER WORK MERGED   the container's copy-on-write root: mounted in its own
 *                             mount namespace, pivot_root'ed into, with /proc /dev /sys
 *       --mount SRC DST ro|rw file|dir   bind mount (DST inside the root), repeatable
 *       --readonly-rootfs     the root (not its mounts) read-only
 *       --hostname NAME       in its own UTS namespace
 *       --cgroup DIR          put COMMAND into this cgroup (its cgroup.procs), repeatable
 *       --user UID GID [GROUPS]  GROUPS comma-separated ("-" for none)
 *       --cwd DIR             working directory (inside the root)
 *       --env-file FILE       the environment, NUL-separated KEY=VALUE records
 *       --stdin-fifo PATH     COMMAND's stdin is this fifo (kept open, so it never sees EOF)
 *       --stdin-once          with --stdin-fifo: COMMAND's stdin closes when the first writer
 *                             of the fifo (the first attach) closes it (stdinOnce)
 *       --tty                 COMMAND runs on a new pseudo-terminal (its controlling terminal);
 *                             the terminal's output is logged as stdout, the fifo feeds its input
 *       --host-pid, --host-ipc   share the node's PID / IPC namespace (hostPID, hostIPC pods)
 *       --oom-score-adj N
 *       --no-isolation        no namespaces, no root change (agent without root privileges)
 *
 *   bosun-monitor relay NETNS_PATH PORT
 *       Connects to 127.0.0.1:PORT inside the network namespace and copies stdin to the
 *       connection and the connection to stdout (port-forward). Exits 1 with the reason on
 *       stderr when the connection is refused.
 *
 * Errors name what failed and why; the TypeScript side (process-runtime.ts) turns them into
 * RuntimeErrors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* The longest log record written as one line; longer lines are cut into "P" (partial) records. */
#define LOG_LINE_MAX_BYTES 16384
#define MAX_MOUNTS 256
#define MAX_CGROUPS 16
#define EXIT_CODE_START_FAILED 128
#define ERROR_MAX_BYTES 1024

struct bind_mount {
  const char *src, *dst;
  int readonly, is_file;
};

struct options {
  const char *state_dir, *log_file, *netns, *hostname, *cwd, *env_file, *stdin_fifo;
  const char *lower, *upper, *work, *merged;
  const char *groups;
  struct bind_mount mounts[MAX_MOUNTS];
  int n_mounts;
  const char *cgroups[MAX_CGROUPS];
  int n_cgroups;
  int readonly_rootfs, no_isolation, has_user, has_oom_adj, oom_adj, tty, host_pid, host_ipc, stdin_once;
  uid_t uid;
  gid_t gid;
  char **argv;
};

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("bosun-monitor: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_all(int fd, const char *buf, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    buf += n;
    len -= (size_t)n;
  }
}

/* Writes DIR/NAME atomically (temporary file + rename), so readers never see half a record. */
static void write_state_file(const char *dir, const char *name, const char *text) {
  char tmp[4096], final[4096];
  snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
  snprintf(final, sizeof final, "%s/%s", dir, name);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  write_all(fd, text, strlen(text));
  fsync(fd);
  close(fd);
  rename(tmp, final);
}

/* ---- the CRI log writer ---- */

struct log_stream {
  const char *name; /* "stdout" / "stderr" */
  int fd;
  char buf[LOG_LINE_MAX_BYTES];
  size_t len;
};

/* RFC3339Nano as Go prints it: UTC, fraction without trailing zeros. */
static void format_time(char *out, size_t size) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  char frac[16] = "";
  if (ts.tv_nsec != 0) {
    snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
    size_t n = strlen(frac);
    while (frac[n - 1] == '0') frac[--n] = '\0';
  }
  snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static void emit_record(int log_fd, const char *stream, char tag, const char *text, size_t len) {
  static char rec[LOG_LINE_MAX_BYTES + 128];
  char ts[64];
  format_time(ts, sizeof ts);
  int head = snprintf(rec, sizeof rec, "%s %s %c ", ts, stream, tag);
  memcpy(rec + head, text, len);
  rec[head + len] = '\n';
  write_all(log_fd, rec, (size_t)head + len + 1); /* one write per record: O_APPEND keeps it whole */
}

/* Splits new bytes into full lines (F) and, when the buffer fills without a newline, partial ones (P). */
static void log_bytes(int log_fd, struct log_stream *s, const char *data, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (data[i] == '\n') {
      emit_record(log_fd, s->name, 'F', s->buf, s->len);
      s->len = 0;
      continue;
    }
    s->buf[s->len++] = data[i];
    if (s->len == LOG_LINE_MAX_BYTES) {
      emit_record(log_fd, s->name, 'P', s->buf, s->len);
      s->len = 0;
    }
  }
}

/* Reads what is available; returns 0 at EOF (or error), 1 otherwise. */
static int pump(int log_fd, struct log_stream *s) {
  char chunk[65536];
  for (;;) {
    ssize_t n = read(s->fd, chunk, sizeof chunk);
    if (n > 0) {
      log_bytes(log_fd, s, chunk, (size_t)n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return 1;
    /* EOF: an unterminated last line is still a whole record. */
    if (s->len > 0) emit_record(log_fd, s->name, 'F', s->buf, s->len);
    s->len = 0;
    close(s->fd);
    s->fd = -1;
    return 0;
  }
}

/* ---- the container child ---- */

static int child_error_fd = -1;

/* Reports why the container could not start to the monitor, then exits. */
static void child_fail(const char *what, const char *path) {
  char msg[ERROR_MAX_BYTES];
  int e = errno;
  snprintf(msg, sizeof msg, "%s %s: %s", what, path ? path : "", strerror(e));
  write_all(child_error_fd, msg, strlen(msg));
  _exit(EXIT_CODE_START_FAILED);
}

static void mkdir_p(const char *path, mode_t mode) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s", path);
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    mkdir(tmp, mode);
    *p = '/';
  }
  mkdir(tmp, mode);
}

static void ensure_file(const char *path) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (slash && slash != dir) {
    *slash = '\0';
    mkdir_p(dir, 0755);
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
}

static void bind_mount_at(const char *src, const char *dst, int readonly, int is_file) {
  if (is_file) ensure_file(dst);
  else mkdir_p(dst, 0755);
  if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0) child_fail("bind mount", src);
  if (readonly && mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL) < 0)
    child_fail("read-only remount", dst);
}

static void path_in(char *out, size_t size, const char *root, const char *rel) {
  snprintf(out, size, "%s/%s", root, rel[0] == '/' ? rel + 1 : rel);
}

/* A minimal /dev: the usual character devices from the host, pts, shm and the fd links. */
static void setup_dev(const char *root) {
  static const char *devices[] = {"null", "zero", "full", "random", "urandom", "tty"};
  char p[4096], q[4096];
  path_in(p, sizeof p, root, "dev");
  mkdir_p(p, 0755);
  if (mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
    child_fail("mount tmpfs", p);
  for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
    snprintf(q, sizeof q, "/dev/%s", devices[i]);
    path_in(p, sizeof p, root, q);
    bind_mount_at(q, p, 0, 1);
  }
  path_in(p, sizeof p, root, "dev/pts");
  mkdir_p(p, 0755);
  if (mount("devpts", p, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") == 0) {
    path_in(p, sizeof p, root, "dev/ptmx");
    symlink("pts/ptmx", p);
  }
  path_in(p, sizeof p, root, "dev/shm");
  mkdir_p(p, 01777);
  mount("shm", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k");
  static const char *links[][2] = {{"/proc/self/fd", "dev/fd"},   {"/proc/self/fd/0", "dev/stdin"},
                                   {"/proc/self/fd/1", "dev/stdout"}, {"/proc/self/fd/2", "dev/stderr"}};
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    path_in(p, sizeof p, root, links[i][1]);
    symlink(links[i][0], p);
  }
}

static void setup_root(const struct options *o) {
  char p[4096], data[8192];
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) child_fail("make / private", "/");
  snprintf(data, sizeof data, "lowerdir=%s,upperdir=%s,workdir=%s", o->lower, o->upper, o->work);
  if (mount("overlay", o->merged, "overlay", 0, data) < 0) child_fail("mount overlay on", o->merged);
  path_in(p, sizeof p, o->merged, "proc");
  mkdir_p(p, 0555);
  if (mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) child_fail("mount proc on", p);
  path_in(p, sizeof p, o->merged, "sys");
  mkdir_p(p, 0555);
  if (mount("sysfs", p, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) bind_mount_at("/sys", p, 1, 0);
  setup_dev(o->merged);
  for (int i = 0; i < o->n_mounts; i++) {
    path_in(p, sizeof p, o->merged, o->mounts[i].dst);
    bind_mount_at(o->mounts[i].src, p, o->mounts[i].readonly, o->mounts[i].is_file);
  }
  if (o->readonly_rootfs && mount(NULL, o->merged, NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
    child_fail("read-only root", o->merged);
  /* pivot_root(".", "."): the old root ends up stacked on the new one and is detached at once. */
  if (chdir(o->merged) < 0) child_fail("chdir", o->merged);
  if (syscall(SYS_pivot_root, ".", ".") < 0) child_fail("pivot_root into", o->merged);
  if (umount2(".", MNT_DETACH) < 0) child_fail("detach old root", ".");
  if (chdir("/") < 0) child_fail("chdir", "/");
}

static char **read_env(const char *file) {
  static char *empty[] = {NULL};
  if (!file) return empty;
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) child_fail("open env file", file);
  struct stat st;
  fstat(fd, &st);
  char *data = malloc((size_t)st.st_size + 1);
  ssize_t n = read(fd, data, (size_t)st.st_size);
  close(fd);
  if (n < 0) child_fail("read env file", file);
  data[n] = '\0';
  size_t count = 0;
  for (ssize_t i = 0; i < n; i++) count += data[i] == '\0';
  char **env = calloc(count + 2, sizeof *env);
  size_t k = 0;
  for (char *p = data; p < data + n; p += strlen(p) + 1) env[k++] = p;
  env[k] = NULL;
  return env;
}

static void set_user(const struct options *o) {
  if (!o->has_user) return;
  gid_t groups[64];
  size_t n = 0;
  if (o->groups && strcmp(o->groups, "-") != 0) {
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", o->groups);
    for (char *t = strtok(copy, ","); t && n < 64; t = strtok(NULL, ",")) groups[n++] = (gid_t)atol(t);
  }
  if (setgroups(n, groups) < 0) child_fail("setgroups", NULL);
  if (setgid(o->gid) < 0) child_fail("setgid", NULL);
  if (setuid(o->uid) < 0) child_fail("setuid", NULL);
}

static void run_child(const struct options *o, int netns_fd, int go_fd, int out_w, int err_w, int in_fd, const char *pty_slave) {
  char go;
  if (read(go_fd, &go, 1) != 1) _exit(EXIT_CODE_START_FAILED); /* the monitor died */
  close(go_fd);
  int tty_fd = -1;
  if (pty_slave) { /* opened before the root changes: the path is the host's devpts */
    if (setsid() < 0) child_fail("setsid", NULL);
    tty_fd = open(pty_slave, O_RDWR);
    if (tty_fd < 0) child_fail("open terminal", pty_slave);
  }
  if (o->has_oom_adj) {
    char v[32];
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    snprintf(v, sizeof v, "%d", o->oom_adj);
    if (fd >= 0) {
      write_all(fd, v, strlen(v));
      close(fd);
    }
  }
  char **env = read_env(o->env_file); /* before the root changes: the path is the host's */
  if (!o->no_isolation) {
    if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0) child_fail("join network namespace", o->netns);
    if (unshare(CLONE_NEWNS | CLONE_NEWUTS | (o->host_ipc ? 0 : CLONE_NEWIPC)) < 0) child_fail("unshare", NULL);
    if (o->hostname && sethostname(o->hostname, strlen(o->hostname)) < 0) child_fail("sethostname", o->hostname);
    if (o->merged) setup_root(o);
  }
  if (tty_fd >= 0) {
    dup2(tty_fd, 0);
    dup2(tty_fd, 1);
    dup2(tty_fd, 2);
    if (tty_fd > 2) close(tty_fd);
    if (ioctl(0, TIOCSCTTY, 0) < 0) child_fail("set controlling terminal", pty_slave);
  } else {
    if (in_fd >= 0) dup2(in_fd, 0);
    else {
      int devnull = open("/dev/null", O_RDONLY);
      dup2(devnull, 0);
    }
    dup2(out_w, 1);
    dup2(err_w, 2);
  }
  if (o->cwd && chdir(o->cwd) < 0) child_fail("chdir to working directory", o->cwd);
  set_user(o);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  environ = env; /* execvp searches the container's PATH */
  execvp(o->argv[0], o->argv);
  child_fail("exec", o->argv[0]);
}

/* ---- the monitor ---- */

static int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

static void record_exit(const char *state_dir, int code) {
  char text[64];
  snprintf(text, sizeof text, "%d %lld\n", code, now_ms());
  write_state_file(state_dir, "exit", text);
}

static void monitor(const struct options *o, int ready_fd) {
  int out[2], err[2], go[2], errp[2];
  int log_fd = open(o->log_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log_fd < 0) {
    dprintf(ready_fd, "open log %s: %s", o->log_file, strerror(errno));
    exit(1);
  }
  int netns_fd = -1;
  if (o->netns && !o->no_isolation) {
    netns_fd = open(o->netns, O_RDONLY | O_CLOEXEC);
    if (netns_fd < 0) {
      dprintf(ready_fd, "open network namespace %s: %s", o->netns, strerror(errno));
      exit(1);
    }
  }
  int in_fd = -1, once_fd = -1, once_pipe[2] = {-1, -1};
  if (o->stdin_fifo && o->stdin_once) {
    /* Read-only and non-blocking: poll reports a hang-up once the first writer has come and gone.
     * The child reads a pipe (or the terminal) that the monitor feeds and closes at that point. */
    once_fd = open(o->stdin_fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (once_fd < 0 || (!o->tty && pipe2(once_pipe, O_CLOEXEC) < 0)) {
      dprintf(ready_fd, "open stdin fifo %s: %s", o->stdin_fifo, strerror(errno));
      exit(1);
    }
    in_fd = once_pipe[0];
  } else if (o->stdin_fifo) {
    in_fd = open(o->stdin_fifo, O_RDWR | O_CLOEXEC); /* read-write: never blocks, never EOF */
    if (in_fd < 0) {
      dprintf(ready_fd, "open stdin fifo %s: %s", o->stdin_fifo, strerror(errno));
      exit(1);
    }
  }
  int pty_master = -1;
  char pty_slave[256] = "";
  if (o->tty) {
    pty_master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (pty_master < 0 || grantpt(pty_master) < 0 || unlockpt(pty_master) < 0 || ptsname_r(pty_master, pty_slave, sizeof pty_slave) != 0) {
      dprintf(ready_fd, "allocate a pseudo-terminal: %s", strerror(errno));
      exit(1);
    }
  }
  if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
    dprintf(ready_fd, "pipe: %s", strerror(errno));
    exit(1);
  }
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  /* A new PID namespace applies to the next child: the container is its init (pid 1). */
  if (!o->no_isolation && !o->host_pid && unshare(CLONE_NEWPID) < 0) {
    dprintf(ready_fd, "unshare pid namespace: %s", strerror(errno));
    exit(1);
  }
  pid_t pid = fork();
  if (pid < 0) {
    dprintf(ready_fd, "fork: %s", strerror(errno));
    exit(1);
  }
  if (pid == 0) {
    close(ready_fd);
    close(go[1]);
    close(errp[0]);
    child_error_fd = errp[1];
    run_child(o, netns_fd, go[0], out[1], err[1], in_fd, o->tty ? pty_slave : NULL);
  }
  /* Only the monitor ignores SIGPIPE (an ignored disposition would survive the container's exec):
   * a container that closed its stdin must not kill its monitor. */
  signal(SIGPIPE, SIG_IGN);
  close(go[0]);
  close(errp[1]);
  close(out[1]);
  close(err[1]);
  if (once_pipe[0] >= 0) close(once_pipe[0]);
  if (netns_fd >= 0) close(netns_fd);
  for (int i = 0; i < o->n_cgroups; i++) {
    char procs[4096], text[32];
    snprintf(procs, sizeof procs, "%s/cgroup.procs", o->cgroups[i]);
    snprintf(text, sizeof text, "%d", pid);
    int fd = open(procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) < 0) {
      dprintf(ready_fd, "join cgroup %s: %s", o->cgroups[i], strerror(errno));
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      record_exit(o->state_dir, EXIT_CODE_START_FAILED);
      exit(1);
    }
    close(fd);
  }
  write_all(go[1], "g", 1);
  close(go[1]);
  char why[ERROR_MAX_BYTES + 1];
  ssize_t n;
  do n = read(errp[0], why, ERROR_MAX_BYTES); while (n < 0 && errno == EINTR);
  close(errp[0]);
  if (n > 0) { /* the child reported a failure instead of exec'ing */
    why[n] = '\0';
    waitpid(pid, NULL, 0);
    write_state_file(o->state_dir, "start-error", why);
    record_exit(o->state_dir, EXIT_CODE_START_FAILED);
    write_all(ready_fd, why, (size_t)n);
    exit(1);
  }
  char text[128];
  long long started = now_ms();
  snprintf(text, sizeof text, "%d %d %lld\n", pid, getpid(), started);
  write_state_file(o->state_dir, "pid", text);
  close(ready_fd); /* EOF with nothing said: started */

  struct log_stream streams[2] = {{.name = "stdout", .fd = out[0]}, {.name = "stderr", .fd = err[0]}};
  if (pty_master >= 0) { /* the terminal is the only output; the pipes stay unused */
    close(out[0]);
    close(err[0]);
    streams[0].fd = pty_master;
    streams[1].fd = -1;
  }
  fcntl(streams[0].fd, F_SETFL, O_NONBLOCK);
  if (streams[1].fd >= 0) fcntl(streams[1].fd, F_SETFL, O_NONBLOCK);
  /* A terminal's input, and a stdin-once stdin, come through the monitor. */
  int relay_in = once_fd >= 0 ? once_fd : pty_master >= 0 ? in_fd : -1;
  int relay_out = once_pipe[1] >= 0 ? once_pipe[1] : pty_master;
  int status = 0, exited = 0;
  while (!exited) {
    struct pollfd fds[4] = {{.fd = streams[0].fd, .events = POLLIN}, {.fd = streams[1].fd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}, {.fd = relay_in, .events = POLLIN}};
    if (poll(fds, 4, -1) < 0 && errno != EINTR) break;
    if (relay_in >= 0 && (fds[3].revents & (POLLIN | POLLHUP))) {
      char in_buf[4096];
      ssize_t n = read(relay_in, in_buf, sizeof in_buf);
      if (n > 0) write_all(relay_out, in_buf, (size_t)n);
      else if (relay_in == once_fd && (n == 0 || (fds[3].revents & POLLHUP))) { /* the attach ended */
        close(once_fd);
        relay_in = once_fd = -1;
        if (once_pipe[1] >= 0) close(once_pipe[1]);
        else write_all(pty_master, "\x04", 1); /* end of input on a terminal */
      }
    }
    for (int i = 0; i < 2; i++)
      if (streams[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) pump(log_fd, &streams[i]);
    if (fds[2].revents & POLLIN) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {}
    }
    if (waitpid(pid, &status, WNOHANG) == pid) exited = 1;
  }
  /* Whatever is still in the pipes was written before the exit. */
  for (int i = 0; i < 2; i++)
    if (streams[i].fd >= 0) pump(log_fd, &streams[i]);
  for (int i = 0; i < 2; i++)
    if (streams[i].len > 0) emit_record(log_fd, streams[i].name, 'F', streams[i].buf, streams[i].len);
  fsync(log_fd);
  record_exit(o->state_dir, exit_code_of(status));
  exit(0);
}

static void parse_run(int argc, char **argv, struct options *o) {
  memset(o, 0, sizeof *o);
  int i = 2;
  for (; i < argc; i++) {
    const char *a = argv[i];
#define NEED(k) if (i + (k) >= argc) die("%s needs %d value(s)", a, k)
    if (strcmp(a, "--") == 0) { i++; break; }
    else if (strcmp(a, "--state") == 0) { NEED(1); o->state_dir = argv[++i]; }
    else if (strcmp(a, "--log") == 0) { NEED(1); o->log_file = argv[++i]; }
    else if (strcmp(a, "--netns") == 0) { NEED(1); o->netns = argv[++i]; }
    else if (strcmp(a, "--hostname") == 0) { NEED(1); o->hostname = argv[++i]; }
    else if (strcmp(a, "--cwd") == 0) { NEED(1); o->cwd = argv[++i]; }
    else if (strcmp(a, "--env-file") == 0) { NEED(1); o->env_file = argv[++i]; }
    else if (strcmp(a, "--stdin-fifo") == 0) { NEED(1); o->stdin_fifo = argv[++i]; }
    else if (strcmp(a, "--oom-score-adj") == 0) { NEED(1); o->has_oom_adj = 1; o->oom_adj = atoi(argv[++i]); }
    else if (strcmp(a, "--readonly-rootfs") == 0) o->readonly_rootfs = 1;
    else if (strcmp(a, "--no-isolation") == 0) o->no_isolation = 1;
    else if (strcmp(a, "--tty") == 0) o->tty = 1;
    else if (strcmp(a, "--stdin-once") == 0) o->stdin_once = 1;
    else if (strcmp(a, "--host-pid") == 0) o->host_pid = 1;
    else if (strcmp(a, "--host-ipc") == 0) o->host_ipc = 1;
    else if (strcmp(a, "--overlay") == 0) {
      NEED(4);
      o->lower = argv[++i]; o->upper = argv[++i]; o->work = argv[++i]; o->merged = argv[++i];
    } else if (strcmp(a, "--mount") == 0) {
      NEED(4);
      if (o->n_mounts == MAX_MOUNTS) die("more than %d mounts", MAX_MOUNTS);
      struct bind_mount *m = &o->mounts[o->n_mounts++];
      m->src = argv[++i]; m->dst = argv[++i];
      m->readonly = strcmp(argv[++i], "ro") == 0;
      m->is_file = strcmp(argv[++i], "file") == 0;
    } else if (strcmp(a, "--cgroup") == 0) {
      NEED(1);
      if (o->n_cgroups == MAX_CGROUPS) die("more than %d cgroups", MAX_CGROUPS);
      o->cgroups[o->n_cgroups++] = argv[++i];
    } else if (strcmp(a, "--user") == 0) {
      NEED(3);
      o->has_user = 1;
      o->uid = (uid_t)atol(argv[++i]); o->gid = (gid_t)atol(argv[++i]); o->groups = argv[++i];
    } else die("unknown option %s", a);
#undef NEED
  }
  if (!o->state_dir || !o->log_file) die("run needs --state and --log");
  if (i >= argc) die("run needs a command after --");
  o->argv = argv + i;
}

static int cmd_run(int argc, char **argv) {
  struct options o;
  parse_run(argc, argv, &o);
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) < 0) die("pipe: %s", strerror(errno));
  pid_t pid = fork();
  if (pid < 0) die("fork: %s", strerror(errno));
  if (pid == 0) {
    close(ready[0]);
    setsid();
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    if (devnull > 2) close(devnull);
    monitor(&o, ready[1]);
    return 0;
  }
  close(ready[1]);
  char why[ERROR_MAX_BYTES + 1];
  size_t len = 0;
  ssize_t n;
  while (len < ERROR_MAX_BYTES && (n = read(ready[0], why + len, ERROR_MAX_BYTES - len)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    len += (size_t)n;
  }
  why[len] = '\0';
  if (len > 0) die("%s", why);
  return 0;
}

/* ---- port-forward relay ---- */

static int cmd_relay(int argc, char **argv) {
  if (argc != 4) die("usage: relay NETNS_PATH PORT");
  int port = atoi(argv[3]);
  if (port <= 0 || port > 65535) die("bad port %s", argv[3]);
  if (strcmp(argv[2], "-") != 0) {
    int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) die("join network namespace %s: %s", argv[2], strerror(errno));
    close(fd);
  }
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect to 127.0.0.1:%d: %s", port, strerror(errno));
  signal(SIGPIPE, SIG_IGN);
  write_all(2, "connected\n", 10); /* the caller waits for this before it hands out the stream */
  int in_open = 1;
  char buf[65536];
  for (;;) {
    struct pollfd fds[2] = {{.fd = in_open ? 0 : -1, .events = POLLIN}, {.fd = s, .events = POLLIN}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(0, buf, sizeof buf);
      if (n <= 0) {
        in_open = 0;
        shutdown(s, SHUT_WR);
      } else write_all(s, buf, (size_t)n);
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(s, buf, sizeof buf);
      if (n <= 0) return 0;
      write_all(1, buf, (size_t)n);
    }
  }
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "run") == 0) return cmd_run(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "relay") == 0) return cmd_relay(argc, argv);
  die("usage: bosun-monitor run --state DIR --log FILE [options] -- COMMAND [ARG...] | relay NETNS_PATH PORT");
  return 2;
}
