// The outbound-scan page: keep the cursor in the code field for the next scan, and beep
// after each answer (a high short tone for shipped, a low double tone for a refusal), made
// with the Web Audio API so no sound files are needed. The page works without this file.
(function () {
  "use strict";

  var audio = null;

  function context() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) {
      return null;
    }
    if (!audio) {
      audio = new Ctx();
    }
    if (audio.state === "suspended") {
      audio.resume();
    }
    return audio;
  }

  function tone(ctx, frequency, start, seconds, wave) {
    var osc = ctx.createOscillator();
    var gain = ctx.createGain();
    osc.type = wave;
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.25, ctx.currentTime + start);
    gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + start + seconds);
    osc.connect(gain);
    gain.connect(ctx.destination);
    osc.start(ctx.currentTime + start);
    osc.stop(ctx.currentTime + start + seconds);
  }

  function beep(ok) {
    var ctx = context();
    if (!ctx) {
      return;
    }
    if (ok) {
      tone(ctx, 1320, 0, 0.12, "sine");
    } else {
      tone(ctx, 220, 0, 0.18, "square");
      tone(ctx, 180, 0.24, 0.3, "square");
    }
  }

  function field() {
    return document.getElementById("scan-code");
  }

  function ready() {
    var input = field();
    if (input) {
      input.value = "";
      input.focus();
    }
  }

  // The first key press unlocks audio (browsers allow sound only after a user gesture).
  document.addEventListener("keydown", function () { context(); }, { once: true });

  document.addEventListener("htmx:afterSwap", function (event) {
    var answer = document.getElementById("scan-output");
    if (!answer || !event.detail.target || event.detail.target.id !== "scan-output") {
      return;
    }
    if (answer.hasAttribute("data-ok")) {
      beep(answer.getAttribute("data-ok") === "true");
      document.body.setAttribute("data-last-scan", answer.getAttribute("data-kind"));
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt && event.detail.elt.id === "scan-form") {
      ready();
    }
  });

  // A tap anywhere that is not a link, field or button brings the cursor back to the code field.
  document.addEventListener("click", function (event) {
    if (!event.target.closest("a, input, button, select, textarea, label")) {
      var input = field();
      if (input) {
        input.focus();
      }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var output = document.getElementById("scan-output");
    if (output && output.hasAttribute("data-ok")) {  // a full-page answer (no HTMX)
      beep(output.getAttribute("data-ok") === "true");
    }
    ready();
  });
})();
