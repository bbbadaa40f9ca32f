"""The bundled demo: an exercise incident day ("Övningsscenario") and the server that replays it.

* `mediebild.demo.scenario`: `load_scenario()` reads the hand-written Swedish content under
  `demo/scenario/` (feeds, stories, items with ground truth, the incident profile);
* `mediebild.demo.render`: RSS 2.0 / Atom / JSON Feed documents with real-world quirks;
* `mediebild.demo.server`: `ReplayServer`, a local HTTP server whose feeds follow a simulated clock.

Everything here is fiction written for the project: fictional outlets, invented accounts, and notices
in the style of real authorities, each labelled as exercise material. See demo/scenario/README.md.
"""
