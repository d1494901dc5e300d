// A meter number field (input[data-meter-number]): its length, issuer and Luhn digit are
// checked as it is typed; with data-lookup, the server is then asked whose meter it is.
// Everything is written with textContent, never as HTML.
"use strict";
(function () {
  var input = document.querySelector("input[data-meter-number]");
  if (!input) return;
  var check = document.getElementById(input.getAttribute("aria-describedby"));
  var owner = document.getElementById("meter-owner");
  var lookupUrl = input.getAttribute("data-lookup");
  if (!check) return;
  var asked = "";

  function luhnDigit(body) {
    var total = 0;
    for (var i = 0; i < body.length; i++) {
      var value = body.charCodeAt(body.length - 1 - i) - 48;
      if (i % 2 === 0) { value *= 2; if (value > 9) value -= 9; }
      total += value;
    }
    return (10 - (total % 10)) % 10;
  }

  // The same rules, in the same words, as the server's meter number check.
  function problem(digits) {
    if (!digits) return "";
    if (!/^[0-9]*$/.test(digits)) return "only digits (spaces and dashes are ignored)";
    if (digits.length < 18) return digits.length + " of 18 digits";
    if (digits.length > 18) return digits.length + " digits; a meter number has 18";
    if (digits.indexOf("600727") !== 0 && digits.indexOf("0000") !== 0) {
      return "issuer (IIN) must be 600727 or 0000, not " + digits.slice(0, 6);
    }
    var expected = luhnDigit(digits.slice(0, 17));
    if (Number(digits[17]) !== expected) {
      return "check digit should be " + expected + "; is a digit mistyped?";
    }
    return null;
  }

  function show(text, ok) {
    check.textContent = text;
    check.className = "check" + (ok === true ? " ok" : ok === false ? " bad" : "");
    input.setAttribute("aria-invalid", ok === false ? "true" : "false");
  }

  function showOwner(answer) {
    if (!owner) return;
    owner.hidden = !answer;
    if (!answer) return;
    document.getElementById("owner-name").textContent = answer.customer || "(no customer)";
    document.getElementById("owner-account").textContent = answer.account || "—";
    document.getElementById("owner-tariff").textContent = answer.tariff || "";
  }

  function lookUp(digits) {
    if (asked === digits) return;
    asked = digits;
    fetch(lookupUrl + "?number=" + encodeURIComponent(digits), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        var type = response.headers.get("content-type") || "";
        if (!response.ok || type.indexOf("application/json") !== 0) throw new Error("no answer");
        return response.json();
      })
      .then(function (answer) {
        if (asked !== digits) return;
        if (answer.ok) {
          show("✓ meter " + answer.meter + (answer.key_change_due ? " (key change tokens come first)" : ""), true);
          showOwner(answer);
        } else {
          show(answer.message, false);
          showOwner(answer.meter ? answer : null);
        }
      })
      .catch(function () { if (asked === digits) show("number valid (customer not checked)", true); });
  }

  function update() {
    var digits = input.value.replace(/[\s-]/g, "");
    var wrong = problem(digits);
    if (wrong === "") { show("", null); showOwner(null); asked = ""; return; }
    if (wrong !== null) {
      show(wrong, digits.length < 18 && /^[0-9]*$/.test(digits) ? null : false);
      showOwner(null);
      asked = "";
      return;
    }
    show("✓ check digit correct", true);
    if (lookupUrl) lookUp(digits);
  }

  input.addEventListener("input", update);
  update();
})();
