"""What the sale service needs from the link to the server: the whole contract.

A link object has three methods; none of them blocks or raises for network trouble
(being offline is normal, not exceptional):

  submit(sale)          queue a journaled sale for the server. `sale` is a dict:
                        {"id": "<device>-<seq>", "meter": str, "amount": int (minor units),
                         "time": int (device seconds), "vendor": str}.
                        Submitting the same id again is allowed and expected (resend after
                        a reboot or reconnect); the server answers a known id with the
                        same answer, never a second token.
  acknowledge(sale_id)  tell the server the sale is complete on the device (slip printed,
                        or refusal shown), so it can stop re-sending the answer.
  online()              True while the link believes the server is reachable (status
                        screen only; the flow never waits on it).

Answers come back later, on the link's own schedule, as calls on the listener it was
given (the sale service, vend/sales.py):

  listener.on_answer(sale_id, answer)
  listener.on_refused(sale_id, reason)     reason: short text for the vendor's screen
  listener.on_acknowledged(sale_id)        the server recorded the acknowledgement

`answer` is a dict:
  {"receipt": str, "customer": str or None,
   "tokens": [20-digit str, ...],          credit token(s), entered last
   "key_change": [20-digit str, ...],      key change tokens, entered first (may be empty)
   "kwh_tenths": int,                      energy bought, in 0.1 kWh
   "tax": int, "fixed": int, "debt": int}  deducted, in minor units

A listener may be called from inside submit() (an answer that is already known) or
any time later; the sale service and the flow handle both.
"""

ANSWER_KEYS = ("receipt", "customer", "tokens", "key_change", "kwh_tenths", "tax", "fixed", "debt")


def answer_problem(answer):
    """None when an answer dict has the shape above, else what is wrong (for logs)."""
    if not isinstance(answer, dict):
        return "answer is not a dict"
    for key in ANSWER_KEYS:
        if key not in answer:
            return "answer has no " + key
    for key in ("tokens", "key_change"):
        for token in answer[key]:
            if not isinstance(token, str) or len(token) != 20 or not token.isdigit():
                return key + " holds something that is not a 20-digit token"
    if not answer["tokens"]:
        return "answer has no credit token"
    for key in ("kwh_tenths", "tax", "fixed", "debt"):
        if not isinstance(answer[key], int) or answer[key] < 0:
            return key + " is not a whole number >= 0"
    return None
