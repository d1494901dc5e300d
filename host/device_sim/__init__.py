"""Run the handheld's MicroPython firmware on a PC: fakes of the chips and buses, the simulator."""
