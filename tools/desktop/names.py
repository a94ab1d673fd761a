"""Name pools for the simulated desktop, each split into a train part and a held-out test part.

The last ~20% of every pool is held out: ``World.generate(seed, "test")`` draws its contacts and
files from the test parts only, so a planner evaluated on test worlds meets people and documents it
never saw during training. The pools are plain tuples written out here (no files to package) and
never overlap between the two parts; a test checks that. Each pool is written as comma-separated
text so that it stays compact under the formatter.
"""

from __future__ import annotations

import math

SPLITS = ("train", "test")

# The fraction of every pool, taken from its end, that only test worlds and test tasks use.
HELD_OUT_FRACTION = 0.2


def _items(text: str) -> tuple[str, ...]:
    """The comma-separated entries of ``text``, stripped, in order."""
    return tuple(item.strip() for item in text.split(",") if item.strip())


FIRST_NAMES = _items(
    """
    Eren, Zoë, Søren, José, Amélie, Björn, Chloé, Dário, Elif, François, Gökhan, Håkon, Inês, Jürgen,
    Kaito, Léa, Mateo, Nadia, Oskar, Priya, Rafael, Sofía, Thandiwe, Úrsula, Valentina, Wojciech, Xiao,
    Yusuf, Zeynep, Anaïs, Benoît, Camila, Dmitri, Emma, Farah, Giulia, Hiroshi, Ingrid, Jonas, Kasia,
    Liam, Maëlle, Noah, Olivia, Pablo, Renée, Siobhán, Tomás, Ulrike, Vera, Wiebke, Yara, Ángel, Łucja,
    Çağla, Mía, Raúl, Agnès, Ólafur, Nuño
    """
)

LAST_NAMES = _items(
    """
    Erdoğan, Müller, Ødegaard, García, Dubois, Nyström, Lefèvre, Costa, Yılmaz, Brontë, Kowalski, Tanaka,
    Fernández, Schröder, Novák, Åberg, Martínez, Kim, O'Brien, Łukasik, Gonçalves, Patel, Rossi, Nguyễn,
    Chen, Søndergaard, Jiménez, Weiß, Dvořák, Nakamura, Okafor, Smith, Papadopoulos, Ivanova, Hernández,
    Öztürk, Bianchi, Sørensen, Mbeki, Kristjánsdóttir
    """  # noqa: RUF001 (Turkish dotless i in "Yilmaz" is meant)
)

# Document topics, used as file-name stems ("Budget Q3" -> "Budget Q3.pdf").
FILE_STEMS = _items(
    """
    Budget Q3, Lease Agreement, Trip Itinerary, Project Proposal, Meeting Minutes, Quarterly Report,
    Tax Return 2023, Resume, Cover Letter, Insurance Policy, Wedding Guest List, Conference Agenda,
    Research Paper, Sales Forecast, Marketing Plan, Employee Handbook, Invoice 1042, Product Roadmap,
    Lab Results, Café Menu, Thesis Draft, Grant Application, Vendor Contract, Onboarding Checklist,
    Travel Receipts, Design Brief, User Survey Results, Annual Review, Board Deck, Recipe Collection,
    Moving Checklist, Car Loan Statement, Workshop Slides, Press Release, Privacy Policy,
    Course Syllabus, Rental Application, Fundraising Letter, Team Offsite Plan, Security Audit,
    Pitch Deck, Lecture Notes, Home Inspection Report, Bank Statement March, Museum Tickets, Garden Plan,
    Event Budget, Job Offer Letter, Partnership Agreement, Release Notes, Floor Plan, Brand Guidelines,
    Patent Filing, Study Schedule, Volunteer Roster, Expense Report, Sponsorship Deck, Seminar Handout,
    Renovation Quote, Audit Findings
    """
)

PLACES = _items(
    """
    Golden Gate Park, Café de Flore, Ferry Building, Union Square, Mission Dolores Park,
    Stanford University, Oakland Airport, Berkeley Marina, Louvre Museum, Tivoli Gardens,
    Brandenburg Gate, Park Güell, Central Park, Shibuya Crossing, Sagrada Família, Pike Place Market,
    Times Square, Zürich Hauptbahnhof, Lake Merritt, Alcatraz Island, Coit Tower, Chinatown,
    Palace of Fine Arts, Lombard Street, Ocean Beach, Twin Peaks, Fisherman's Wharf, Montréal Biodôme,
    Nyhavn, Plaza Mayor, Brooklyn Bridge, Griffith Observatory, Santa Monica Pier, Hyde Park, Gamla Stan,
    Old Town Kraków, Piazza Navona, Yerba Buena Gardens, Exploratorium, SFO Airport
    """
)

NOTE_NAMES = _items(
    """
    Shopping List, Book Ideas, Packing List, Gift Ideas, Weekly Goals, Project Ideas, Movie Watchlist,
    Workout Plan, Meal Plan, Reading List, Travel Wishlist, Birthday Plans, Garden To-Do, Podcast Notes,
    Pasta Recipe, Standup Notes, Interview Questions, Budget Notes, Crème Brûlée Recipe,
    Conference Takeaways, Home Repairs, Learning Goals, Party Playlist, Quotes I Like, Car Maintenance
    """
)

MEETING_TOPICS = _items(
    """
    Apple Meeting, Project Sync, Design Review, Budget Planning, Weekly Standup, Quarterly Review,
    Product Demo, Hiring Interview, Sprint Planning, Client Check-in, Team Lunch, Marketing Kickoff,
    Board Prep, Code Review, Research Discussion, Roadmap Workshop, Onboarding Session, Retrospective,
    Strategy Offsite, Coffee Chat, Vendor Call, Launch Party, Book Club, Yoga Class,
    Parent-Teacher Conference
    """
)

SUBJECTS = _items(
    """
    Quick question, Dinner on Friday, Project update, Weekend plans, Invoice attached, Meeting notes,
    Follow-up, Trip details, Happy birthday!, Schedule change, Draft for review, Thanks for today,
    Lunch next week, Contract signed, Photos, Reminder, New proposal, Flight confirmation,
    Conference registration, Feedback wanted, Holiday schedule, Rent payment, Book recommendation,
    Welcome aboard, Interview slot
    """
)

POOLS: dict[str, tuple[str, ...]] = {
    "first_names": FIRST_NAMES,
    "last_names": LAST_NAMES,
    "file_stems": FILE_STEMS,
    "places": PLACES,
    "note_names": NOTE_NAMES,
    "meeting_topics": MEETING_TOPICS,
    "subjects": SUBJECTS,
}


def pool(kind: str, split: str) -> tuple[str, ...]:
    """The ``split`` part ("train" or "test") of the pool ``kind`` (a key of :data:`POOLS`).

    The test part is the last ``ceil(HELD_OUT_FRACTION * len)`` entries, the train part the rest.
    """
    if kind not in POOLS:
        raise ValueError(f"unknown name pool {kind!r}; the pools are {sorted(POOLS)}")
    if split not in SPLITS:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    items = POOLS[kind]
    cut = len(items) - math.ceil(len(items) * HELD_OUT_FRACTION)
    return items[:cut] if split == "train" else items[cut:]
