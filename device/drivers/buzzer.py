"""The buzzer: a passive one on PWM (tone at a frequency) or an active one on a plain Pin.

Sounds are asyncio sleeps between on and off, so a beep never holds up the keypad; the
buzzer is always left off, even when the beeping task is cancelled.
"""

import asyncio

from micropython import const

_HALF_DUTY = const(32768)  # square wave: loudest for a passive buzzer


class Buzzer:
    """pin_or_pwm: a machine.PWM (passive buzzer, freq in Hz) or a Pin (active buzzer)."""

    def __init__(self, pin_or_pwm, freq=2700, active=1):
        self.out = pin_or_pwm
        self.freq = freq
        self.active = active
        self.pwm = hasattr(pin_or_pwm, "duty_u16")
        if self.pwm:  # off
            pin_or_pwm.duty_u16(0)
        else:
            pin_or_pwm.value(1 - active)

    async def beep(self, ms=60, freq=None):
        """Sound for ms milliseconds (at freq Hz on a passive buzzer)."""
        out = self.out
        if self.pwm:
            out.freq(freq or self.freq)
            out.duty_u16(_HALF_DUTY)
        else:
            out.value(self.active)
        try:
            await asyncio.sleep_ms(ms)
        finally:
            if self.pwm:
                out.duty_u16(0)
            else:
                out.value(1 - self.active)

    async def ok(self):
        """Success: one short high beep."""
        await self.beep(60)

    async def error(self):
        """Something is wrong: three beeps, lower on a passive buzzer."""
        for i in range(3):
            if i:
                await asyncio.sleep_ms(70)
            await self.beep(120, self.freq // 2)
