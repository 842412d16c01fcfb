"""Run a command on a real pseudo-terminal for a test: pty-run.py ROWS COLS CMD [ARG...].

The test writes keystrokes to our stdin and reads the terminal's output from our stdout, both
raw. Lines on the fd named by $PTY_RUN_CTL steer the terminal: "resize ROWS COLS" sets its
size (the kernel sends the command SIGWINCH). The first line on stderr is "pid N" (the command's pid); our exit status is
the command's (128+N when a signal N ended it).
"""
import fcntl, os, pty, select, signal, struct, sys, termios

rows, cols, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]

def set_size(fd, r, c):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', r, c, 0, 0))

pid, master = pty.fork()
if pid == 0:
    os.environ.pop('PTY_RUN_CTL', None)
    os.execvp(argv[0], argv)
set_size(master, rows, cols)
sys.stderr.write('pid %d\n' % pid)
sys.stderr.flush()

CTL = int(os.environ['PTY_RUN_CTL']) if os.environ.get('PTY_RUN_CTL') else None
inputs = [0, master] + ([CTL] if CTL is not None else [])
ctl = b''
status = None
while True:
    try:
        ready, _, _ = select.select(inputs, [], [], 0.2)
    except InterruptedError:
        continue
    if master in ready:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b''  # EIO: the command and everything it started closed the terminal
        if data:
            os.write(1, data)
        else:
            inputs.remove(master)
    if 0 in ready:
        data = os.read(0, 65536)
        if data:
            os.write(master, data)
        else:
            inputs.remove(0)
    if CTL is not None and CTL in ready:
        data = os.read(CTL, 4096)
        if not data:
            inputs.remove(CTL)
        ctl += data
        while b'\n' in ctl:
            line, ctl = ctl.split(b'\n', 1)
            words = line.decode().split()
            if words[:1] == ['resize']:
                set_size(master, int(words[1]), int(words[2]))
    if status is None:
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
    if status is not None and master not in inputs:
        break
    if status is not None:
        # drain what the terminal still holds, then stop
        ready, _, _ = select.select([master], [], [], 0.3)
        if not ready:
            break
if os.WIFSIGNALED(status):
    sys.exit(128 + os.WTERMSIG(status))
sys.exit(os.WEXITSTATUS(status))
