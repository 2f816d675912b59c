"""`python main.py ...` — a shim for a checkout; the command lives in `jaga_desa.cli`
(installed as the `jaga-desa` console script). On a phone (`flet build apk` runs this
file with no arguments) it starts the field app instead: jaga_desa/mobile.py."""
import sys

if __name__ == "__main__":
    from jaga_desa.mobile import on_phone
    if on_phone():
        from jaga_desa.mobile import main as phone_main
        sys.exit(phone_main())
    from jaga_desa.cli import main
    sys.exit(main(sys.argv[1:]))
