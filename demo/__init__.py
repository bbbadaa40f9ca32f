"""The bundled demo: an exercise incident day ("Övningsscenario") and the server that replays it.

* `mediebild.demo.scenario`: `load_scenario()` reads the hand-written Swedish content under
  `demo/scenario/` (feeds and platform sources, stories, items with ground truth, the incident profile);
* `mediebild.demo.render`: RSS 2.0 / Atom / JSON Feed documents with real-world quirks;
* `mediebild.demo.platforms`: the platforms' ids, handles and search rules, shared by scenario and server;
* `mediebild.demo.social_api` and `mediebild.demo.official_api`: the platform APIs' answers (X, Mastodon,
  Bluesky, Reddit; Polisen, Krisinformation, SMHI, Sveriges Radio's VMA) at a simulated time;
* `mediebild.demo.credentials`: the exercise credentials of one run, held in memory only;
* `mediebild.demo.server`: `ReplayServer`, a local HTTP server whose feeds and APIs follow a simulated clock.

Everything here is fiction written for the project: fictional outlets, invented accounts, and notices
in the style of real authorities, each labelled as exercise material. See demo/scenario/README.md.
The package imports only the mediebild core (and itself).
"""
