//! Socket options that neither std nor socket2 offer, set through libc (the only unsafe code
//! outside the C ABI proper lives in this folder).

use std::io;
use std::os::fd::AsRawFd;

/// Lets the kernel fragment datagrams larger than the path MTU again, as a plain UDP socket
/// does (Linux defaults: `IP_PMTUDISC_WANT`, `IPV6_PMTUDISC_WANT`, `IPV6_DONTFRAG` off).
/// quinn-udp forbids fragmentation when it sets up a socket, which suits QUIC but not UDP
/// messaging, whose datagrams may be up to 65 507 bytes on any link.
pub(crate) fn allow_fragmentation(socket: &impl AsRawFd, ipv6: bool) -> io::Result<()> {
    let fd = socket.as_raw_fd();
    set_int(
        fd,
        libc::IPPROTO_IP,
        libc::IP_MTU_DISCOVER,
        libc::IP_PMTUDISC_WANT,
    )?;
    if ipv6 {
        set_int(
            fd,
            libc::IPPROTO_IPV6,
            libc::IPV6_MTU_DISCOVER,
            libc::IPV6_PMTUDISC_WANT,
        )?;
        set_int(fd, libc::IPPROTO_IPV6, libc::IPV6_DONTFRAG, 0)?;
    }
    Ok(())
}

fn set_int(fd: i32, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: `fd` is an open socket borrowed for the call; the option value is a live
    // c_int on this stack frame and its exact size is passed with it.
    let r = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
