"""Modem driver against the fake UART and a model of a SIM800."""

import asyncio

import machine
import pytest
from drivers.modem import Modem, ModemError, ModemTimeout

from host.device_sim.gsm_modem import GsmModem


@pytest.fixture
def uart():
    return machine.UART(2, 115200, tx=machine.Pin(25), rx=machine.Pin(26))


@pytest.fixture
def pwrkey():
    return machine.Pin(27, machine.Pin.OUT)


def run(coro):
    return asyncio.run(coro)


def on_modem(uart, pwrkey, **kwargs):
    model = GsmModem(uart, pwrkey, powered=True)
    model.echo = False
    return model, Modem(uart, pwrkey, **kwargs)


def test_at_sends_the_command_with_cr_and_returns_information_lines(uart, pwrkey):
    model, modem = on_modem(uart, pwrkey)
    uart.take_written()
    assert run(modem.at("AT+CSQ")) == [b"+CSQ: 18,0"]
    assert uart.take_written() == b"AT+CSQ\r"
    assert run(modem.at(b"AT")) == []


def test_echo_is_not_taken_for_an_answer(uart, pwrkey):
    model, modem = on_modem(uart, pwrkey)
    model.echo = True
    assert run(modem.at("AT+GSN")) == [b"867530012345678"]


def test_error_names_the_command_and_the_modem_reply(uart, pwrkey):
    model, modem = on_modem(uart, pwrkey)
    with pytest.raises(ModemError, match=r"AT\+BOGUS -> ERROR"):
        run(modem.at("AT+BOGUS"))
    model.sim_inserted = False
    with pytest.raises(ModemError, match=r"\+CME ERROR: 10"):
        run(modem.at("AT+CPIN?"))


def test_no_answer_is_a_timeout_naming_the_command(uart, pwrkey):
    modem = Modem(uart, pwrkey)
    with pytest.raises(ModemTimeout, match=r"AT\+CSQ in 50 ms"):
        run(modem.at("AT+CSQ", timeout_ms=50))
    assert issubclass(ModemTimeout, OSError)


def test_unsolicited_codes_before_the_command_are_dropped(uart, pwrkey):
    _model, modem = on_modem(uart, pwrkey)
    uart.feed(b"\r\nRING\r\n\r\n+CREG: 1\r\n")
    assert run(modem.at("AT+CSQ")) == [b"+CSQ: 18,0"]


def test_overlong_lines_are_cut_to_the_buffer_not_grown(uart, pwrkey):
    def reply(_data):
        uart.feed(b"\r\n" + b"x" * 300 + b"\r\nOK\r\n")

    uart.init(rxbuf=1024)  # the default 256 would lose the OK, as on the ESP32
    modem = Modem(uart, pwrkey, line_size=64)
    uart.attach(reply)
    assert run(modem.at("AT+X")) == [b"x" * 64]
    assert len(modem._line) == 64


def test_signal_quality(uart, pwrkey):
    model, modem = on_modem(uart, pwrkey)
    assert run(modem.signal_quality()) == 18
    model.rssi = 99
    assert run(modem.signal_quality()) == 99


def test_sim_ready(uart, pwrkey):
    model, modem = on_modem(uart, pwrkey)
    assert run(modem.sim_ready()) is True
    model.sim_inserted = False
    assert run(modem.sim_ready()) is False


def test_registered_at_home_or_roaming_only(uart, pwrkey):
    model, modem = on_modem(uart, pwrkey)
    for stat, expected in ((1, True), (5, True), (0, False), (3, False)):
        model.registration = stat
        assert run(modem.registered()) is expected


def test_power_on_presses_pwrkey_long_enough_then_turns_echo_off(uart, pwrkey):
    model = GsmModem(uart, pwrkey, min_press_ms=80)
    modem = Modem(uart, pwrkey, pwrkey_pulse_ms=100)
    run(modem.power_on(timeout_ms=2000))
    assert model.powered and not model.echo
    levels = [level for _t, level in pwrkey.history]
    assert levels[-2:] == [1, 0]  # pressed, then released
    assert model.commands[-1] == "ATE0"


def test_power_on_does_not_press_the_key_of_a_modem_already_on(uart, pwrkey):
    _model, modem = on_modem(uart, pwrkey)
    run(modem.power_on())
    assert 1 not in [level for _t, level in pwrkey.history]


def test_power_on_gives_up_when_the_modem_never_answers(uart, pwrkey):
    GsmModem(uart, pwrkey, min_press_ms=5000)  # our press is too short for it
    modem = Modem(uart, pwrkey, pwrkey_pulse_ms=50)
    with pytest.raises(ModemTimeout, match="power-on"):
        run(modem.power_on(timeout_ms=600))


def test_attach_defines_the_context_and_attaches(uart, pwrkey):
    model, modem = on_modem(uart, pwrkey)
    run(modem.attach("internet.example"))
    assert model.apn == "internet.example" and model.attached
    assert model.commands == [
        "AT+CGREG?",
        'AT+CGDCONT=1,"IP","internet.example"',
        "AT+CGATT=1",
        "AT+CGATT?",
    ]


def test_attach_times_out_when_never_registered(uart, pwrkey):
    model, modem = on_modem(uart, pwrkey)
    model.registration = 0
    with pytest.raises(ModemTimeout, match="not registered"):
        run(modem.attach("apn", timeout_ms=100))
    assert not model.attached


def test_sms_waits_for_the_prompt_then_sends_text_and_ctrl_z(uart, pwrkey):
    model, modem = on_modem(uart, pwrkey)
    assert run(modem.sms("+254700000001", "Token 1234")) == 1
    assert model.sent_sms == [("+254700000001", "Token 1234")]
    assert uart.written.endswith(b'AT+CMGS="+254700000001"\rToken 1234\x1a')


def test_imei(uart, pwrkey):
    _model, modem = on_modem(uart, pwrkey)
    assert run(modem.imei()) == "867530012345678"
