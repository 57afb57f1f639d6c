"""Run by an installed package's own interpreter (/opt/venvs/<package>/bin/python): every
compiled module the package ships is loaded and used once, so a wheel for the wrong machine or
a library missing on the host fails here and not on a kiosk. tools/arm64/build.sh runs it in
the arm64 chroot after `dpkg -i`.

    /opt/venvs/printstation/bin/python imports.py printstation
"""

from __future__ import annotations

import platform
import sys


def station() -> list[str]:
    import cups  # pycups, built from its sdist against libcups
    import lgpio  # gpiozero's pin factory on the Pi (aarch64 only)
    import usb.backend.libusb1  # pyusb, through the system's libusb-1.0
    from argon2 import PasswordHasher
    from cryptography import x509
    from PIL import Image, ImageDraw, ImageFont

    from controller.render.fonts import font  # the package's own fonts, through Pillow's FreeType

    if usb.backend.libusb1.get_backend() is None:
        raise SystemExit("pyusb finds no libusb-1.0")
    card = Image.new("RGB", (1016, 648), "white")
    ImageDraw.Draw(card).text((10, 10), "KARTU TANDA PENDUDUK", font=font(32), fill="black")
    if card.convert("L").getextrema() == (255, 255):
        raise SystemExit("Pillow drew nothing")
    PasswordHasher().verify(PasswordHasher().hash("sandi"), "sandi")
    return [
        f"cups {cups.require.__module__}",
        f"lgpio {lgpio.LGPIO_PY_VERSION:#x}",
        f"libusb {usb.backend.libusb1.get_backend()!r}",
        f"cryptography {x509.__name__}",
        f"Pillow {Image.__version__} FreeType {ImageFont.core.freetype2_version}",
    ]


def central() -> list[str]:
    import psycopg
    from psycopg import pq

    if pq.__impl__ != "binary":
        raise SystemExit(f"psycopg runs its {pq.__impl__} implementation, not the binary one")
    return [f"psycopg {psycopg.__version__} libpq {pq.version()}"]


CHECKS = {"printstation": station, "printstation-central": central}

if __name__ == "__main__":
    loaded = CHECKS[sys.argv[1]]()
    sys.stdout.write(f"{sys.argv[1]} on {platform.machine()}: {'; '.join(loaded)}\n")
