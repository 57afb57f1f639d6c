"""The clerk's web page (`printstation-web`): its own process, a client of the daemon's control
socket like the command line (docs/web.md)."""
