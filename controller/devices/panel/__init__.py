"""The operator panel on the Pi's GPIO (gpiozero): lamps, buzzer, buttons, cover, fan, UPS."""
