"""The synthetic API catalogue of the function-calling study, and mock implementations of its APIs.

TokMem trains one token per tool on the 100 most frequent tools of xLAM-60k. That data set is gated,
so the study also runs on a synthetic stand-in with the same shape: a few hundred realistic APIs over
twenty categories, each with a JSON Schema, query phrasings and per-parameter value pools.

Everything is data: ``_PARAMS`` lists the shared parameters (type, description, query fragments, value
pool with a held-out tail after ``||``), ``_APIS`` lists the APIs per category (name, noun phrase with
``{param}`` slots, required and optional parameters), and ``_HEADS`` turns a noun phrase into eight
query templates per API, the last two held out. Test rows use only held-out phrasings and values, so
a test query can never be a train query, as in TokMem's per-tool split.

``execute`` is the mock back end for the multi-turn mode: it validates the arguments with jsonschema
(``ToolError`` on a violation, so the agent sees why) and returns plausible JSON for the category,
seeded by the call, so the same call always gets the same answer.
"""

# The tables below keep one entry per line, however long, so they read and diff as tables.
# ruff: noqa: E501

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
import string
from dataclasses import dataclass, field
from datetime import date, timedelta

from tools.base import ToolError

HELDOUT_PHRASINGS = 2
"""How many of each API's phrasings (the last ones) only test rows use."""

# Parameters: name | type | description | query fragments ({v} = the value) | values || held-out values.
# Types: str, int, num, bool, enum, date, time, list:ITEM (an array whose items come from ITEM's pool).
# For bool the fragments say "true" and the values column says "false". "=name" reuses name's pool;
# "#PREFIX:N" makes identifiers (PREFIX + N random characters); "*" is the shared date pool.
_PARAMS = """
city | str | City name | in {v}; for {v} | Paris; London; Tokyo; New York; Berlin; Madrid; Chicago; Toronto; Sydney; Rome; Amsterdam; Seoul; Mumbai; Dubai; Boston; Vienna; Prague; Seattle; Denver; Singapore || Lisbon; Nairobi; Lima; Oslo; Hanoi; Montreal
origin | str | Starting point | from {v}; starting in {v} | =city
destination | str | Final destination | to {v}; ending in {v} | =city
country_code | str | ISO 3166-1 alpha-2 country code | for country code {v}; in country {v} | US; GB; FR; DE; JP; CA; AU; IN; BR; IT; ES; MX; KR; NL || SE; ZA; AR; NZ
country | str | Country name | in {v}; for {v} | France; Germany; Japan; Canada; Brazil; Italy; Spain; Mexico; India; Australia; Kenya; Egypt; Thailand || Norway; Chile; Vietnam; Portugal
nationality | str | Nationality of the traveller | for {v} citizens; for {v} passport holders | American; British; Canadian; German; Indian; Australian; Brazilian; Japanese || Irish; Nigerian; Mexican
units | enum | Unit system | in {v} units; using {v} units | metric; imperial
hours | int | Number of hours ahead | for the next {v} hours; over the next {v} hours | 6; 12; 24; 36; 48 || 18; 72
days | int | Number of days | for {v} days; covering {v} days | 3; 5; 7; 10; 14 || 4; 21
include_forecast | bool | Whether to include the forecast | with the forecast; including the forecast | without the forecast; leaving out the forecast
date | date | Date (YYYY-MM-DD) | on {v}; for {v} | *
start_date | date | Start date (YYYY-MM-DD) | from {v}; starting {v} | *
end_date | date | End date (YYYY-MM-DD) | to {v}; until {v} | *
check_in | date | Check-in date (YYYY-MM-DD) | from {v}; checking in {v} | *
check_out | date | Check-out date (YYYY-MM-DD) | to {v}; checking out {v} | *
departure_date | date | Departure date (YYYY-MM-DD) | on {v}; departing {v} | *
due_date | date | Due date (YYYY-MM-DD) | due {v}; due on {v} | *
time | time | Time of day (HH:MM, 24-hour) | at {v}; starting at {v} | 08:30; 09:00; 10:15; 12:00; 13:45; 15:30; 17:00; 18:30 || 07:45; 20:15
latitude | num | Latitude in decimal degrees | at latitude {v}; for latitude {v} | 48.8566; 51.5074; 35.6762; 40.7128; -33.8688; 52.52; 41.9028; 37.7749 || -1.2921; 59.9139; 21.0278
longitude | num | Longitude in decimal degrees | and longitude {v}; with longitude {v} | 2.3522; -0.1278; 139.6503; -74.006; 151.2093; 13.405; 12.4964; -122.4194 || 36.8219; 10.7522; 105.8342
month | enum | Month name | for {v}; in {v} | January; February; March; April; May; June; July; August; September; October; November; December
location | str | Resort or place name | at {v}; for {v} | Whistler; Aspen; Zermatt; Chamonix; Vail; Niseko; St. Moritz; Park City || Courchevel; Banff
symbol | str | Stock ticker symbol | for {v}; for the ticker {v} | AAPL; MSFT; GOOGL; AMZN; TSLA; NVDA; META; NFLX; JPM; KO; DIS; INTC || ORCL; SHOP; UBER
symbols | list:symbol | Stock ticker symbols | {v}; with the tickers {v} |
interval | enum | Data interval | with {v} data points; using {v} intervals | daily; weekly; monthly
limit | int | Maximum number of results | limited to {v} results; showing {v} results | 3; 5; 10; 20; 25 || 7; 15
from_currency | str | Source currency code | from {v} | USD; EUR; GBP; JPY; CAD; AUD; CHF; CNY; INR || SEK; NZD; MXN
to_currency | str | Target currency code | to {v}; into {v} | =from_currency
currency | str | Currency code for prices | in {v}; priced in {v} | =from_currency
amount | num | Amount of money | of {v}; for an amount of {v} | 100; 250; 1200; 75.5; 5000; 19.99; 320; 45.25 || 880; 12.75
query | str | Search text | for {v}; matching {v} | quantum computing; electric cars; remote work; climate change; space exploration; renewable energy; artificial intelligence; urban gardening || deep sea mining; vertical farming
report_period | enum | Reporting period | with {v} figures; using {v} reports | annual; quarterly
interest_rate | num | Annual interest rate in percent | at an interest rate of {v} percent; at {v} percent interest | 3.5; 4.25; 5; 5.75; 6.1; 6.5; 7 || 4.8; 8.2
years | int | Term in years | over {v} years; for {v} years | 5; 10; 15; 20; 30 || 25; 40
period | enum | Time period | over the past {v}; for the last {v} | day; week; month; year
sport | enum | Sport | for {v}; in {v} | football; basketball; tennis; baseball; hockey; cricket
league | str | League name | in the {v}; for the {v} | Premier League; NBA; La Liga; Serie A; Bundesliga; NFL; MLB; NHL; Ligue 1 || MLS; Eredivisie
team | str | Team name | for {v}; of {v} | Arsenal; Real Madrid; Los Angeles Lakers; Boston Celtics; Bayern Munich; Juventus; Chicago Bulls; Liverpool; Barcelona; Golden State Warriors; New York Yankees || Ajax; Toronto Raptors; Celtic
opponent | str | Opposing team | against {v}; versus {v} | =team
season | str | Season, e.g. 2023-24 | for the {v} season; in the {v} season | 2019-20; 2020-21; 2021-22; 2022-23; 2023-24 || 2024-25; 2018-19
player | str | Player name | for {v}; of {v} | Lionel Messi; LeBron James; Serena Williams; Erling Haaland; Stephen Curry; Kylian Mbappe; Novak Djokovic; Patrick Mahomes || Shohei Ohtani; Sabrina Ionescu
match_id | str | Match identifier | for the match {v}; for match {v} | #M-:5
include_stats | bool | Whether to include player statistics | with player statistics; including player statistics | without player statistics; skipping player statistics
tournament | str | Tournament name | for the {v}; of the {v} | World Cup; Champions League; Wimbledon; US Open; Euro Championship; Copa America; Ryder Cup || Asian Cup; Davis Cup
year | int | Year | in {v}; for {v} | 2018; 2019; 2020; 2021; 2022; 2023 || 2024; 2017
venue | str | Venue name | for {v}; about {v} | Wembley Stadium; Madison Square Garden; Camp Nou; Old Trafford; Allianz Arena; Fenway Park || Maracana; Eden Gardens
event_name | str | Sporting event name | for the {v}; of the {v} | Monaco Grand Prix; Boston Marathon; Tour de France; Berlin Marathon; Indianapolis 500; British Grand Prix || Dakar Rally; Tokyo Marathon
origin_airport | str | IATA code of the departure airport | from {v}; departing from {v} | JFK; LHR; CDG; LAX; HND; FRA; SFO; ORD; DXB; SIN; AMS; MAD || LIS; NBO; YVR
destination_airport | str | IATA code of the arrival airport | to {v}; arriving at {v} | =origin_airport
airport_code | str | IATA airport code | for {v}; at {v} | =origin_airport
cabin_class | enum | Cabin class | in {v} class; flying {v} class | economy; premium; business; first
adults | int | Number of adult guests | for {v} adults; for a party of {v} adults | 2; 3; 4 || 5; 6
hotel_id | str | Hotel identifier | at hotel {v}; for hotel {v} | #HTL-:4
flight_number | str | Flight number | of flight {v}; for flight {v} | AA100; BA117; LH400; AF22; UA857; DL44; EK203; QF1; JL5; SQ25 || KL641; TP201
flight_id | str | Flight offer identifier | with offer id {v}; for offer {v} | #FL-:5
booking_id | str | Booking reference | with reference {v}; for booking {v} | #BK-:6
pet_friendly | bool | Only places that allow pets | that allow pets; that are pet friendly | that do not allow pets; where pets are not allowed
airline | str | Airline name | for {v}; of {v} | Delta; United; Lufthansa; Air France; Emirates; Qantas; British Airways; Singapore Airlines || KLM; TAP Air Portugal
region | str | Cruise region | in the {v}; around the {v} | Caribbean; Mediterranean; Baltic Sea; Norwegian Fjords; Greek Islands; South Pacific; Adriatic || Galapagos Islands; Red Sea
radius_km | int | Search radius in kilometres | within {v} km; in a radius of {v} km | 1; 2; 5; 10; 25 || 3; 50
diet | enum | Dietary preference | for a {v} diet; suitable for a {v} diet | vegetarian; vegan; keto; paleo; gluten-free
max_calories | int | Maximum calories | under {v} calories; with at most {v} calories | 400; 500; 600; 800; 1500; 2000 || 700; 1200
recipe_id | str | Recipe identifier | with id {v}; for recipe {v} | #R-:5
include_nutrition | bool | Whether to include nutrition facts | with nutrition facts; including the nutrition facts | without nutrition facts; leaving out the nutrition facts
ingredient | str | Ingredient | for {v}; with {v} | chicken; garlic; tomato; spinach; salmon; rice; tofu; mushrooms; basil; lentils; avocado; eggs; flour; butter || quinoa; kale; chickpeas
ingredients | list:ingredient | Ingredients | using {v}; with {v} |
servings | int | Number of servings | for {v} servings; serving {v} people | 2; 4; 6; 8 || 3; 10
cuisine | str | Cuisine | with {v} cuisine; serving {v} food | Italian; Mexican; Japanese; Thai; Indian; French; Chinese; Greek; Spanish; Korean || Ethiopian; Peruvian; Lebanese
from_unit | str | Unit to convert from | from {v} | cups; grams; ounces; tablespoons; teaspoons; milliliters; pounds || liters; pints
to_unit | str | Unit to convert to | to {v}; into {v} | =from_unit
dish | str | Dish name | for {v}; to go with {v} | lasagna; beef stew; pad thai; grilled salmon; chicken curry; mushroom risotto; paella; ramen || moussaka; bibimbap
difficulty | enum | Difficulty | at {v} difficulty; with {v} difficulty | easy; medium; hard
sort_by | enum | Sort order | sorted by {v}; ordered by {v} | price; rating; newest; popularity
genre | str | Music genre | in the {v} genre; of the {v} genre | rock; jazz; pop; hip hop; classical; electronic; country; blues; reggae; metal || folk; soul; k-pop
movie_genre | str | Film genre | in the {v} genre; from the {v} genre | comedy; drama; horror; thriller; science fiction; animation; romance; documentary; action || western; musical
movie_title | str | Movie title | for {v}; about {v} | Inception; The Godfather; Parasite; Interstellar; Casablanca; Jaws; Titanic; Amelie; Arrival; Gladiator; Coco || Roma; Heat; Alien
show_title | str | TV show title | of {v}; for {v} | Breaking Bad; The Office; Stranger Things; The Crown; Friends; Succession; Game of Thrones; Seinfeld || Dark; Fargo
actor | str | Actor name | for {v}; of {v} | Meryl Streep; Tom Hanks; Denzel Washington; Cate Blanchett; Leonardo DiCaprio; Viola Davis; Song Kang-ho; Penelope Cruz || Mahershala Ali; Tilda Swinton
language | str | Language name | in {v} | English; French; Spanish; German; Italian; Japanese; Portuguese; Korean; Chinese; Arabic; Russian; Hindi || Swahili; Dutch; Turkish; Polish
target_language | str | Language to translate into | into {v}; to {v} | =language
source_language | str | Language of the source text | from {v} | =language
rating | int | Rating from 1 to 5 stars | with {v} stars; giving it {v} stars | 2; 3; 4 || 5
award | str | Award name | for the {v}; of the {v} | Academy Awards; Golden Globes; BAFTA Awards; Cannes Film Festival; Emmy Awards; Screen Actors Guild Awards || Cesar Awards; Venice Film Festival
artist | str | Artist name | by {v}; from {v} | Adele; Taylor Swift; Coldplay; Beyonce; Ed Sheeran; Radiohead; Drake; Miles Davis; Daft Punk; Billie Eilish; Kendrick Lamar; Dua Lipa || Bjork; Fela Kuti; Rosalia
album | str | Album title | of the album {v}; from the album {v} | Abbey Road; Thriller; Rumours; Kind of Blue; Back in Black; Nevermind; Lemonade; Random Access Memories; OK Computer || Blue; Homogenic
song | str | Song title | called {v}; titled {v} | Yellow; Hello; Bohemian Rhapsody; Shape of You; Blinding Lights; Imagine; Hey Jude; Bad Guy; Halo; Levitating; Creep || Jolene; Respect
playlist_name | str | Playlist name | named {v}; called {v} | Road Trip; Morning Run; Focus Flow; Sunday Chill; Party Mix; Study Beats; Rainy Day; Dinner Jazz || Late Night Drive; Gym Power
tag | str | Tag | tagged {v} | chill; workout; summer; focus; party; acoustic; indie; romantic; upbeat; sleep || retro; ambient
tags | list:tag | Tags | tagged {v}; with the tags {v} |
is_private | bool | Whether it is private | set to private; marked as private | set to public; marked as public
podcast | str | Podcast name | of {v}; from {v} | The Daily; Radiolab; Serial; Freakonomics Radio; Hidden Brain; Planet Money; This American Life; 99% Invisible || Song Exploder; Reply All
topic | enum | News topic | about {v}; on {v} | business; technology; sports; health; science; entertainment; politics
source | str | News source | from {v} | Reuters; BBC News; The Guardian; Associated Press; Bloomberg; Al Jazeera; The New York Times; Le Monde || NHK World; Der Spiegel
url | str | Web address | at {v}; from {v} | https://news.example.com/2025/03/economy-outlook; https://www.example.org/articles/climate-report; https://blog.example.net/tech/ai-chips; https://www.example.com/health/sleep-study; https://news.example.org/sports/final-recap; https://www.example.net/travel/hidden-beaches || https://www.example.com/science/mars-water; https://news.example.net/markets/rate-cut
summary_length | enum | Summary length | as a {v} summary; in a {v} summary | short; medium; long
article_id | str | Article identifier | with id {v}; for article {v} | #A-:5
email | str | Email address | for {v}; with the email {v} | alice@example.com; bob.smith@example.org; maria.garcia@example.net; li.wei@example.com; sam.patel@example.org; olivia.brown@example.com; noah.kim@example.net; emma.jones@example.com || lucas.silva@example.org; zoe.martin@example.net
attendees | list:email | Attendee email addresses | with {v}; inviting {v} |
newsletter | str | Newsletter name | called {v}; named {v} | Morning Brew; Tech Digest; Science Weekly; Market Wrap; Travel Notes; Food Letter || Design Dispatch; Climate Brief
frequency | enum | Delivery frequency | delivered {v}; with {v} delivery | daily; weekly; monthly
company | str | Company name | at {v}; for {v} | Google; Microsoft; Apple; Amazon; Netflix; Spotify; Airbnb; Tesla; Siemens; Unilever; Toyota; Samsung || Stripe; Atlassian; Canva
transport_mode | enum | Mode of transport | by {v}; travelling by {v} | car; bike; bus; train
address | str | Street address | for {v}; at {v} | 10 Downing Street London; 350 Fifth Avenue New York; 1 Infinite Loop Cupertino; 5 Avenue Anatole France Paris; 100 Queen Street West Toronto; 1 Macquarie Street Sydney; 742 Evergreen Terrace Springfield; 500 Boylston Street Boston || 8 Rua Augusta Lisbon; 12 Karl Johans Gate Oslo
place_id | str | Place identifier | with id {v}; for place {v} | #PL-:6
min_rating | num | Minimum rating from 1 to 5 | rated at least {v}; with a rating of at least {v} | 3.5; 4; 4.2; 4.5 || 3.8; 4.7
zoom | int | Map zoom level | at zoom level {v} | 10; 12; 14; 16 || 13; 18
max_price | num | Maximum price in dollars | under {v} dollars; for at most {v} dollars | 50; 100; 250; 500; 1000; 19.99; 1500; 2500 || 75; 350
weight_kg | num | Weight in kilograms | weighing {v} kg; with a weight of {v} kg | 2.5; 5; 55; 62.5; 70; 78; 85.5; 92 || 67.5; 101
height_cm | num | Height in centimetres | with a height of {v} cm; measuring {v} cm | 155; 162; 170; 175.5; 180; 188 || 166; 193
drug | str | Drug name | for {v}; about {v} | ibuprofen; amoxicillin; metformin; atorvastatin; lisinopril; omeprazole; paracetamol; sertraline; warfarin; cetirizine || levothyroxine; naproxen
drugs | list:drug | Drug names | for {v}; between {v} |
specialty | str | Medical specialty | specializing in {v}; in {v} | cardiology; dermatology; pediatrics; neurology; orthopedics; psychiatry; oncology || urology; rheumatology
symptom | str | Symptom | for {v}; about {v} | headache; fever; sore throat; back pain; fatigue; dizziness; cough; nausea || insomnia; chest pain
open_now | bool | Only places open now | that are open now; open right now | including those that are closed; even if they are closed now
activity | str | Physical activity | for {v}; doing {v} | running; cycling; swimming; yoga; hiking; rowing; tennis; dancing || climbing; boxing
duration_minutes | int | Duration in minutes | for {v} minutes; lasting {v} minutes | 15; 20; 30; 45; 60; 90 || 40; 120
level | enum | Experience level | at the {v} level; for the {v} level | beginner; intermediate; advanced
amount_ml | int | Volume in millilitres | of {v} ml | 250; 330; 500; 750; 1000 || 400; 600
doctor_name | str | Doctor name | with {v} | Dr. Emily Chen; Dr. James Wilson; Dr. Aisha Khan; Dr. Carlos Ruiz; Dr. Sarah Miller; Dr. Kenji Tanaka || Dr. Grace Okafor; Dr. Liam Byrne
age | int | Age in years | aged {v}; for age {v} | 2; 5; 12; 25; 34; 45; 60 || 8; 70
health_topic | str | Health topic | about {v}; on {v} | sleep hygiene; hydration; stress management; heart health; healthy eating; posture || immunity; mindfulness
product_id | str | Product identifier | with id {v}; for product {v} | #P-:6
product_name | str | Product name | for {v} | iPhone 15; PlayStation 5; Kindle Paperwhite; AirPods Pro; Nintendo Switch; Dyson V15; Instant Pot; GoPro Hero 12 || Steam Deck; Fitbit Charge 6
product_category | enum | Product category | in {v}; in the {v} category | electronics; clothing; home; toys; books; beauty; sports
brand | str | Brand | from {v}; by {v} | Nike; Adidas; Sony; Samsung; Levi's; Patagonia; Uniqlo; LG || Asics; Bose
zip_code | str | ZIP code | in ZIP code {v}; for ZIP code {v} | 10001; 94105; 60614; 02139; 98101; 30309; 73301; 80202 || 33101; 85004
store | str | Store name | at {v}; for {v} | Walmart; Target; Best Buy; IKEA; Costco; Home Depot; Macy's; Whole Foods || Decathlon; Trader Joe's
barcode | str | EAN-13 barcode | with barcode {v} | #40:11
occasion | enum | Occasion | suitable for a {v}; for a {v} | birthday; wedding; graduation; housewarming; retirement
target_price | num | Target price in dollars | at {v} dollars; once it drops to {v} dollars | 49.99; 99; 199.5; 299; 450; 799 || 149; 999
size | enum | Clothing size | in size {v} | XS; S; M; L; XL
job_title | str | Job title | for {v} roles; with the title {v} | software engineer; data scientist; product manager; nurse; graphic designer; accountant; teacher; mechanical engineer; UX researcher; sales manager || marine biologist; pharmacist
job_id | str | Job posting identifier | with id {v}; for posting {v} | #J-:6
remote | bool | Only remote positions | that are fully remote; with remote work | that are on-site only; without remote work
employment_type | enum | Employment type | for {v} positions; as {v} work | full-time; part-time; contract
experience_years | int | Years of experience | with {v} years of experience | 2; 3; 5; 8; 10 || 4; 15
skill | str | Skill | requiring {v}; for the skill {v} | Python; SQL; Kubernetes; Figma; copywriting; data analysis; React; project management || Rust; bookkeeping
price | num | Home price in dollars | for a price of {v}; priced at {v} | 350000; 425000; 550000; 720000; 1250000; 289000 || 610000; 950000
down_payment | num | Down payment in dollars | with a down payment of {v} | 35000; 50000; 80000; 100000; 150000 || 65000; 120000
bedrooms | int | Minimum number of bedrooms | with at least {v} bedrooms; with {v} or more bedrooms | 2; 3; 4 || 5
property_type | enum | Property type | of the {v} type; listed as {v} properties | apartment; house; condo; townhouse
property_id | str | Property identifier | with id {v}; for property {v} | #PR-:5
neighborhood | str | Neighborhood | in {v}; around {v} | Brooklyn Heights; Shoreditch; Le Marais; Mission District; Kreuzberg; Shibuya; Back Bay; Capitol Hill || Alfama; Gion
school_level | enum | School level | for {v} schools | elementary; middle; high
course_id | str | Course identifier | with id {v}; for course {v} | #C-:4
author | str | Author | by {v}; written by {v} | Jane Austen; George Orwell; Toni Morrison; Haruki Murakami; Chimamanda Ngozi Adichie; Gabriel Garcia Marquez; Agatha Christie; Isaac Asimov || Ursula K. Le Guin; Chinua Achebe
isbn | str | ISBN-13 | with ISBN {v} | #978:10
word | str | Word | for {v}; of {v} | ephemeral; serendipity; resilient; ubiquitous; candid; meticulous; eloquent; pragmatic; benevolent; tenacious || quixotic; laconic
equation | str | Equation to solve | {v} | 2x + 3 = 11; x^2 - 5x + 6 = 0; 3y - 7 = 14; 4(x - 2) = 20; x/5 + 1 = 3; 7x = 49 || 2x^2 = 50; 9 - x = 4
subject | str | School subject | for {v}; in {v} | algebra; biology; world history; chemistry; physics; economics; geography; statistics; literature || astronomy; philosophy
degree_level | enum | Degree level | for a {v} degree | bachelor's; master's; doctoral
text | str | Text | saying "{v}" | Good morning; Where is the train station; Thank you for your help; The meeting starts at noon; I would like a coffee; How much does this cost; See you tomorrow; The weather is lovely today || Please close the door; Happy birthday to you
element | str | Chemical element | about {v}; for {v} | oxygen; carbon; iron; gold; helium; sodium; neon; copper || argon; zinc
username | str | Username | for {v}; of {v} | alex_travels; chef_maria; techguru42; jenny.codes; runner_sam; photo_lena; bookworm_ray; daily_dan || wanderlust_kim; coach_mike
hashtag | str | Hashtag | with the hashtag {v}; tagged {v} | #travel; #foodie; #climatechange; #tbt; #fitness; #photography; #worldcup; #booklover || #sustainability; #nightsky
message | str | Message text | saying "{v}" | Happy Friday everyone; Just finished my first marathon; Running ten minutes late; Dinner at eight tonight; Loving the new album; Meeting moved to Thursday || Back from vacation; Congrats on the launch
post_id | str | Post identifier | with id {v}; for post {v} | #POST-:5
reason | enum | Report reason | for {v} | spam; harassment; misinformation; impersonation
coin | str | Cryptocurrency name | for {v}; of {v} | bitcoin; ethereum; solana; cardano; dogecoin; polkadot; litecoin; chainlink; avalanche || tron; stellar
wallet_address | str | Wallet address | for wallet {v} | #0x:40
network | enum | Blockchain network | on the {v} network; on {v} | ethereum; bitcoin; solana; polygon; arbitrum
tx_hash | str | Transaction hash | with hash {v} | #0x:64
collection | str | NFT collection name | for {v}; of {v} | Bored Ape Yacht Club; CryptoPunks; Azuki; Doodles; Art Blocks; Moonbirds || Pudgy Penguins; Cool Cats
title | str | Title | titled {v}; called {v} | Team standup; Quarterly review; Dentist appointment; Project kickoff; Book club; Yoga class; Budget planning; Client call || Design sprint; Parent meeting
event_id | str | Calendar event identifier | with id {v}; for event {v} | #EV-:5
task | str | Task to be reminded of | to {v} | call the dentist; buy groceries; renew my passport; water the plants; pay the electricity bill; submit the report; pick up the dry cleaning; book a haircut || back up the laptop; send the invoices
priority | enum | Priority | with {v} priority; at {v} priority | low; medium; high
from_timezone | str | IANA time zone to convert from | from {v} | America/New_York; Europe/London; Asia/Tokyo; Europe/Paris; America/Los_Angeles; Australia/Sydney; Asia/Kolkata; America/Chicago || Africa/Nairobi; Pacific/Auckland
to_timezone | str | IANA time zone to convert to | to {v}; into {v} | =from_timezone
status | enum | Task status | that are {v}; with status {v} | open; completed; overdue
permission | enum | Access level | with {v} access; granting {v} access | view; edit
target_script | enum | Target writing system | into {v} script; in {v} script | Latin; Cyrillic; Arabic; Devanagari; Greek
locale | str | Locale code | for the locale {v}; in the {v} locale | en-US; fr-FR; de-DE; ja-JP; es-MX; pt-BR; it-IT; ko-KR || sv-SE; nl-NL
order_id | str | Order identifier | for order {v}; of order {v} | #ORD-:6
tracking_number | str | Parcel tracking number | with tracking number {v} | #1Z:16
carrier | enum | Shipping carrier | with {v}; via {v} | UPS; FedEx; DHL; USPS
quantity | int | Number of units | with a quantity of {v}; in a quantity of {v} | 2; 3; 4; 5; 10 || 6; 12
coupon_code | str | Coupon code | with the code {v} | SAVE10; WELCOME15; SPRING20; FREESHIP; BLACKFRIDAY; VIP25 || SUMMER30; FLASH40
sku | str | Stock keeping unit | for SKU {v} | #SKU-:6
express_shipping | bool | Whether to ship express | with express shipping; using express shipping | with standard shipping; using standard shipping
stop_id | str | Transit stop identifier | at stop {v}; for stop {v} | #STOP-:4
ride_type | enum | Ride type | as a {v} ride; for a {v} ride | standard; premium; shared
fuel_type | enum | Fuel type | for {v} fuel | regular; premium; diesel
vehicle_type | enum | Vehicle type | for a {v} | car; motorcycle; truck
vin | str | Vehicle identification number | with VIN {v} | #1HG:14
car_model | str | Car make and model | for the {v}; of the {v} | Toyota Camry; Honda Civic; Ford F-150; Tesla Model 3; BMW X5; Volkswagen Golf; Subaru Outback; Hyundai Kona || Kia EV6; Mazda MX-5
"""

# Which parameter's value follows from another's: (end, start) pairs get an end a few days after the start.
_DATE_PAIRS = {"end_date": "start_date", "check_out": "check_in"}

# APIs per category: name[/verb text] | noun phrase with {param} slots | required | optional.
# Verbs get/fetch read, search/find/list search, anything else acts (book, create, convert ...).
_APIS = {
    "weather": """
get_current_weather | the current weather | city | units
get_hourly_forecast | the hourly forecast | city | hours units
get_daily_forecast | the daily forecast | city | days units
get_air_quality | the air quality index | city | include_forecast
get_uv_index | the UV index | city | date
get_weather_alerts | active weather alerts | country_code | city
get_historical_weather | the historical weather | city start_date end_date | units
get_sunrise_sunset | the sunrise and sunset times | city | date
get_pollen_count | the pollen count | city | include_forecast
get_marine_forecast | the marine forecast | latitude longitude | days
get_precipitation_forecast | the precipitation forecast | city | hours
get_weather_by_coordinates | the weather at latitude {latitude} and longitude {longitude} | latitude longitude | units
get_climate_normals | the climate normals | city month |
get_wind_forecast | the wind forecast | city | hours units
get_snow_report | the snow report | location | include_forecast
get_heat_index | the heat index | city | units
""",
    "finance": """
get_stock_quote | the latest stock quote | symbol |
get_stock_history | the stock price history | symbol start_date end_date | interval
get_company_profile | the company profile | symbol |
get_earnings_calendar | the earnings calendar | start_date end_date | limit
get_dividend_history | the dividend history | symbol | limit
get_exchange_rate | the exchange rate | from_currency to_currency | date
convert_currency | an amount | amount from_currency to_currency | date
get_market_movers | today's market movers | limit | country_code
search_stocks | stocks | query | country_code limit
get_financial_statements | the financial statements | symbol | report_period
get_analyst_ratings | the analyst ratings | symbol | limit
calculate_loan_payment | the monthly payment on a loan of {amount} | amount interest_rate years |
get_stock_news | the latest stock news | symbol | limit
get_options_chain | the options chain | symbol | date
get_insider_trades | recent insider trades | symbol | limit
compare_stocks | the stocks | symbols | period
""",
    "sports": """
get_live_scores | live scores | sport | league
get_team_schedule | the team schedule | team | season
get_team_roster | the team roster | team | season
get_player_stats | the player statistics | player | season
get_league_standings | the league standings | league | season
get_match_details | the match details | match_id | include_stats
search_players | players | query | team limit
get_top_scorers | the top scorers | league | season limit
get_head_to_head | the head-to-head record | team opponent | limit
get_injury_report | the injury report | team |
get_fixtures | upcoming fixtures | league | start_date end_date
get_player_transfers | recent transfers | team | season
get_tournament_bracket | the tournament bracket | tournament | year
get_venue_info | venue information | venue |
get_betting_odds | the betting odds | match_id |
get_race_results | the race results | event_name | year
""",
    "travel": """
search_flights | flights | origin_airport destination_airport departure_date | cabin_class
search_hotels | hotels | city check_in check_out | adults
book_hotel | a hotel room | hotel_id check_in check_out | adults
get_flight_status | the flight status | flight_number | date
search_car_rentals | car rentals | city start_date end_date |
get_airport_info | information about the airport {airport_code} | airport_code |
search_attractions | tourist attractions | city | limit
get_visa_requirements | the visa requirements | nationality country |
book_flight | a flight | flight_id | adults cabin_class
cancel_booking | the booking | booking_id |
search_vacation_rentals | vacation rentals | city check_in check_out | pet_friendly
get_travel_advisories | the travel advisories | country |
get_baggage_policy | the baggage policy | airline | cabin_class
search_cruises | cruises | region | start_date
get_seat_map | the seat map | flight_number | date
find_nearby_airports | airports near latitude {latitude} and longitude {longitude} | latitude longitude | radius_km
""",
    "recipes": """
search_recipes | recipes | query | diet max_calories
get_recipe_details | the recipe details | recipe_id | include_nutrition
find_recipes_by_ingredients | recipes | ingredients | limit
get_nutrition_facts | the nutrition facts | ingredient | servings
get_random_recipe | a random recipe | cuisine | diet
get_meal_plan | a meal plan | diet days | max_calories
convert_cooking_units | a quantity of {amount} | amount from_unit to_unit |
get_wine_pairing | a wine pairing | dish |
get_cooking_tips | cooking tips | ingredient | difficulty
scale_recipe | the recipe | recipe_id servings |
get_ingredient_substitutes | substitutes | ingredient | diet
list_cuisines | the cuisines of {country} | country |
get_seasonal_produce | the seasonal produce | country month |
estimate_calories | the calories | dish | servings
get_recipe_reviews | the recipe reviews | recipe_id | limit sort_by
search_cocktails | cocktails | ingredient | limit
""",
    "movies": """
search_movies | movies | query | year movie_genre
get_movie_details | the details of the movie {movie_title} | movie_title | year
get_movie_reviews | reviews of the movie {movie_title} | movie_title | limit
get_showtimes | showtimes of {movie_title} | movie_title city | date
get_box_office | the box office results | date | country_code
get_trending_movies | trending movies | movie_genre | limit
get_movie_cast | the cast of {movie_title} | movie_title |
get_streaming_availability | where {movie_title} is streaming | movie_title | country_code
get_upcoming_releases | upcoming releases | start_date end_date | movie_genre
search_tv_shows | TV shows | query | movie_genre
get_episode_list | the episode list | show_title season |
get_actor_filmography | the filmography of {actor} | actor | limit
get_movie_recommendations | movies similar to {movie_title} | movie_title | limit
get_movie_trailer | the trailer of {movie_title} | movie_title | language
rate_movie | the movie {movie_title} | movie_title rating |
get_award_winners | the award winners | award year |
""",
    "music": """
search_songs | songs | query | artist limit
get_artist_info | information about {artist} | artist |
get_album_tracks | the album tracks | album | artist
get_top_charts | the top charts | country_code | genre limit
get_lyrics | the lyrics of the song {song} | song | artist
create_playlist | a playlist | playlist_name | tags is_private
add_song_to_playlist | the song {song} to the playlist {playlist_name} | song playlist_name |
get_similar_artists | artists similar to {artist} | artist | limit
get_new_releases | new releases | genre | country_code limit
get_concerts | upcoming concerts | artist | city
get_track_features | the audio features of the song {song} | song | artist
search_podcasts | podcasts | query | language
get_podcast_episodes | the latest podcast episodes | podcast | limit
get_radio_stations | radio stations | genre | country_code
get_artist_albums | the albums by {artist} | artist | limit
follow_artist | the artist {artist} | artist |
""",
    "news": """
get_top_headlines | the top headlines | country_code | topic limit
search_news | news articles | query | language start_date
get_news_by_source | the latest articles | source | limit
get_trending_topics | the trending topics | country_code | limit
summarize_article | the article at {url} | url | summary_length
get_article_comments | the comments on the article {article_id} | article_id | limit sort_by
get_local_news | local news | city | limit
list_news_sources | news sources | language | country_code
get_fact_checks | fact checks | query | language
get_press_releases | the press releases | company | start_date
get_election_results | the election results | country | year
subscribe_newsletter/subscribe | to the newsletter {newsletter} | newsletter email | frequency
get_headline_archive | archived headlines | start_date end_date | source
get_opinion_pieces | opinion pieces | topic | limit
bookmark_article | the article {article_id} | article_id | tags
get_breaking_news | breaking news | topic | country_code
""",
    "maps": """
get_directions | directions | origin destination | transport_mode
geocode_address | the address {address} | address | country_code
reverse_geocode/reverse geocode | the coordinates at latitude {latitude} and longitude {longitude} | latitude longitude | language
search_places | places | query city | radius_km
search_restaurants | restaurants | city | cuisine min_rating
get_distance | the distance | origin destination | units
get_traffic_conditions | the traffic conditions | city |
get_place_details | the place details | place_id |
find_gas_stations | gas stations | city | limit
get_timezone | the time zone | city |
find_parking | parking | city | max_price
get_elevation | the elevation at latitude {latitude} and longitude {longitude} | latitude longitude | units
get_travel_time | the travel time | origin destination | transport_mode
find_ev_chargers | EV charging stations | city | radius_km
find_atms | ATMs | city | limit
get_static_map | a map image of {address} | address | zoom
""",
    "health": """
calculate_bmi | the BMI for a weight of {weight_kg} kg and a height of {height_cm} cm | weight_kg height_cm |
get_drug_info | drug information | drug |
check_drug_interactions | the interactions between {drugs} | drugs |
search_doctors | doctors | specialty city |
get_symptom_info | symptom information | symptom |
find_clinics | clinics | city | open_now
calculate_calories_burned | the calories burned | activity duration_minutes | weight_kg
get_exercise_plan | an exercise plan | level | days
log_water_intake | a water intake | amount_ml | date
book_appointment | an appointment | doctor_name date | time
get_vaccination_schedule | the vaccination schedule | country | age
get_health_tips | health tips | health_topic | limit
log_sleep | a sleep duration of {hours} hours | hours | date
get_daily_calorie_needs | the daily calorie needs | age weight_kg height_cm | level
find_pharmacies | pharmacies | city | open_now
get_covid_statistics | the COVID-19 statistics | country | date
""",
    "shopping": """
search_products | products | query | max_price sort_by
compare_prices | the prices | product_name | country_code
get_product_reviews | the product reviews | product_id | limit sort_by
get_deals | current deals | product_category | max_price
find_stores | stores | city | brand
get_price_history | the product price history | product_id | days
check_stock | the stock availability | product_id | zip_code
get_coupons | the coupons | store |
lookup_barcode/look up | the product | barcode |
get_gift_ideas | gift ideas | occasion | max_price
get_product_details | the product details | product_id |
create_price_alert | a price alert | product_id target_price | email
get_bestsellers | the bestsellers | product_category | limit
search_clothing | clothing | query | size brand
get_store_hours | the opening hours of {store} | store | city
find_similar_products | products similar to {product_id} | product_id | limit
""",
    "jobs": """
search_jobs | jobs | job_title city | remote employment_type
get_job_details | the job details | job_id |
get_salary_estimate | the salary estimate | job_title | city experience_years
get_company_reviews | employee reviews | company | limit
apply_to_job/apply | to the job posting {job_id} | job_id email |
get_interview_questions | interview questions | job_title | company
search_internships | internships | query | city remote
get_skill_demand | the market demand for {skill} | skill | country
list_companies_hiring | companies hiring | city | limit
get_resume_tips | resume tips | job_title | level
save_job | the job posting {job_id} | job_id |
get_career_path | the career path | job_title |
search_freelance_gigs | freelance gigs | skill | limit
get_labor_statistics | the labor statistics | country year |
create_job_alert | a job alert | job_title email | city frequency
get_employee_benefits | the employee benefits | company |
""",
    "real_estate": """
search_properties | properties for sale | city | max_price bedrooms property_type
search_rentals | rental listings | city | max_price bedrooms pet_friendly
get_property_details | the property details | property_id |
get_home_value_estimate | the estimated value of the home at {address} | address |
get_mortgage_rates | the current mortgage rates for a {years}-year loan | years | zip_code
calculate_mortgage | the mortgage payment for a home | price down_payment | interest_rate years
get_neighborhood_info | neighborhood information | neighborhood | city
get_school_ratings | the school ratings | zip_code | school_level
get_recent_sales | recent home sales | zip_code | limit
schedule_viewing | a viewing | property_id date | time
get_rent_estimate | the rent estimate | address | bedrooms
search_real_estate_agents | real estate agents | city | min_rating
get_housing_market_trends | the housing market trends | city | year
get_property_tax | the property tax | address | year
find_open_houses | open houses | city | date
get_crime_statistics | the crime statistics | zip_code | year
""",
    "education": """
search_courses | online courses | query | level language
get_course_details | the course details | course_id |
enroll_in_course/enroll | in the course {course_id} | course_id email |
search_books | books | query | author limit
get_book_details | the details of the book | isbn |
define_word | the word {word} | word | language
get_synonyms | synonyms | word | limit
solve_equation | the equation {equation} | equation |
get_university_rankings | the university rankings | country | subject limit
find_tutors | tutors | subject city | max_price
get_quiz_questions | quiz questions | subject | difficulty limit
get_flashcards | flashcards | subject | limit
search_scholarships | scholarships | country | degree_level
scan_for_plagiarism/scan | the text "{text}" for plagiarism | text |
get_historical_events | the historical events | date | limit
get_element_info | information about the element {element} | element |
""",
    "social": """
get_user_profile | the user profile | username |
get_user_posts | the recent posts by {username} | username | limit
search_hashtag | posts | hashtag | limit sort_by
post_status_update/post | a status update | message | is_private
send_direct_message/send | a direct message to {username} | username message |
get_followers | the followers | username | limit
follow_user | the user {username} | username |
get_trending_hashtags | the trending hashtags | country_code | limit
schedule_post | a post | message date time |
get_post_comments | the post comments | post_id | limit sort_by
like_post | the post {post_id} | post_id |
get_friend_suggestions | friend suggestions | username | limit
search_users | users | query | city limit
report_post | the post {post_id} | post_id reason |
get_engagement_stats | the engagement statistics | username | start_date end_date
create_social_event/create | an event | title date | city is_private
""",
    "crypto": """
get_crypto_price | the current crypto price | coin | currency
get_crypto_history | the crypto price history | coin start_date end_date | currency
get_coin_info | coin information | coin |
get_wallet_balance | the wallet balance | wallet_address | network
get_transaction_details | the details of the transaction | tx_hash | network
get_top_coins | the top coins by market cap | limit | currency
get_gas_fees | the current gas fees | network |
convert_crypto | an amount of {amount} {coin} into {currency} | amount coin currency |
get_exchange_listings | the exchanges listing {coin} | coin | limit
get_nft_collection | the NFT collection stats | collection |
get_crypto_news | the latest crypto news | coin | limit
get_defi_yields | the DeFi yields | network | limit
get_token_holders | the top token holders | coin | limit
get_fear_greed_index | the crypto fear and greed index | date |
set_crypto_alert | an alert for {coin} | coin target_price | currency
get_mining_stats | the mining statistics | coin |
""",
    "calendar": """
create_calendar_event | an event | title date time | duration_minutes
list_events | the calendar events | start_date end_date | limit
delete_event | the calendar event | event_id |
reschedule_event | the event {event_id} to {date} | event_id date | time
get_free_slots | the free time slots | date | duration_minutes
create_reminder | a reminder | task date | time priority
list_reminders | the reminders | date | priority
get_public_holidays | the public holidays | country year |
schedule_meeting | a meeting | attendees date time | duration_minutes
create_meeting_link | a video meeting link | title | duration_minutes
convert_timezone | the time {time} | time from_timezone to_timezone | date
get_world_clock | the current local time | city |
create_task | a task | title | due_date priority
list_tasks | the tasks | status | limit
share_calendar | my calendar with {email} | email | permission
get_day_of_week | the day of the week | date |
""",
    "translation": """
translate_text | the text "{text}" | text target_language | source_language
detect_language | the language of the text "{text}" | text |
list_supported_languages | the supported target languages | source_language |
transliterate_text | the text "{text}" | text target_script |
translate_document | the document at {url} | url target_language |
get_pronunciation | the pronunciation | word | language
get_word_translations | the translations | word target_language | limit
proofread_text | the text "{text}" | text | language
get_phrasebook | a phrasebook | language | limit
get_word_count | the word count of the text "{text}" | text |
convert_to_braille/convert | the text "{text}" to Braille | text |
get_idioms | common idioms | language | limit
get_dictionary_entry | the dictionary entry | word | language
summarize_text | the text "{text}" | text | summary_length
get_language_info | information about the {language} language | language |
localize_date | the date {date} | date locale |
""",
    "ecommerce": """
get_order_status | the order status | order_id |
track_package | the package | tracking_number | carrier
add_to_cart/add | the product {product_id} to my cart | product_id | quantity
remove_from_cart/remove | the product {product_id} from my cart | product_id |
get_shipping_rates | the shipping rates for a package | weight_kg zip_code | carrier
apply_coupon | the coupon {coupon_code} to order {order_id} | coupon_code order_id |
cancel_order | the order {order_id} | order_id |
request_refund | a refund | order_id | amount
get_order_history | my order history | start_date end_date | limit
create_return_label | a return label | order_id | carrier
update_shipping_address | the shipping address of order {order_id} to {address} | order_id address |
get_inventory_levels | the inventory levels | sku | city
get_sales_report | the sales report | start_date end_date | product_category
place_order | an order for the product {product_id} | product_id quantity | express_shipping
get_loyalty_points | the loyalty points balance | email |
get_wishlist | the wishlist | username | limit
""",
    "transport": """
get_train_schedule | the train schedule | origin destination | date
get_bus_arrivals | the next bus arrivals | stop_id | limit
book_train_ticket | a train ticket | origin destination date | adults
get_metro_status | the metro line status | city |
find_bike_share_stations | bike share stations | city | limit
get_ride_estimate | a ride estimate | origin destination | ride_type
request_ride | a ride | origin destination | ride_type
get_fuel_prices | the fuel prices | city | fuel_type
get_toll_costs | the toll costs | origin destination | vehicle_type
get_transit_route | a transit route | origin destination | time
get_ferry_schedule | the ferry schedule | origin destination | date
get_vehicle_recalls | the vehicle recalls | vin |
get_car_specs | the car specifications | car_model year |
plan_road_trip | a road trip | origin destination | days
get_traffic_cameras | the traffic cameras | city | limit
search_airport_transfers | airport transfers | airport_code | adults
""",
    "web": """
search | results | query |
""",
}

# Query templates per verb kind: (template, question?). {n} is the noun phrase with its fragments.
# The last HELDOUT_PHRASINGS of each list are held out (test rows only).
_HEADS = {
    "read": [
        ("Get {n}", False),
        ("Show me {n}", False),
        ("Can you look up {n}", True),
        ("I'd like to know {n}", False),
        ("Please fetch {n}", False),
        ("Tell me {n}", False),
        ("Could you pull up {n}", True),
        ("I need {n}", False),
    ],
    "search": [
        ("Find {n}", False),
        ("Search for {n}", False),
        ("Show me {n}", False),
        ("Can you list {n}", True),
        ("I'm looking for {n}", False),
        ("Please look for {n}", False),
        ("Help me find {n}", False),
        ("Could you dig up {n}", True),
    ],
    "act": [
        ("{V} {n}", False),
        ("Please {v} {n}", False),
        ("Can you {v} {n}", True),
        ("I want to {v} {n}", False),
        ("I need you to {v} {n}", False),
        ("Go ahead and {v} {n}", False),
        ("Help me {v} {n}", False),
        ("Would you {v} {n}", True),
    ],
}
_READ_VERBS = {"get", "fetch"}
_SEARCH_VERBS = {"search", "find", "list"}

# Mock result fields per category: name:kind[:args], kinds f(loat) lo hi, i(nt) lo hi, c(hoice) a/b, b(ool), d(ate).
_RESULTS = {
    "weather": "temperature_c:f:-15:38; condition:c:sunny/partly cloudy/cloudy/light rain/heavy rain/snow/fog/thunderstorm; humidity_pct:i:10:100; wind_kph:f:0:60",
    "finance": "price:f:5:900; change_pct:f:-8:8; volume:i:100000:90000000; market_cap_billion:f:1:3000",
    "sports": "home_score:i:0:6; away_score:i:0:6; status:c:scheduled/live/finished; attendance:i:5000:90000",
    "travel": "price_usd:f:80:2500; rating:f:2.5:5; available:b; duration_minutes:i:45:900",
    "recipes": "calories:i:150:1200; prep_minutes:i:5:120; rating:f:3:5; servings:i:1:8",
    "movies": "rating:f:1:10; year:i:1950:2025; runtime_minutes:i:80:190; votes:i:1000:2500000",
    "music": "plays:i:1000:50000000; duration_seconds:i:120:420; popularity:i:1:100; release_year:i:1965:2025",
    "news": "published:d; sentiment:c:positive/neutral/negative; read_minutes:i:1:15; comments:i:0:4000",
    "maps": "distance_km:f:0.2:900; duration_minutes:i:1:600; rating:f:2:5; open_now:b",
    "health": "score:f:0:100; risk_level:c:low/moderate/high; confidence:f:0.5:1; next_review:d",
    "shopping": "price:f:5:2000; rating:f:1:5; in_stock:b; reviews:i:0:25000",
    "jobs": "salary_usd:i:35000:220000; posted_days_ago:i:0:30; remote:b; applicants:i:0:900",
    "real_estate": "price_usd:i:120000:2500000; bedrooms:i:1:6; area_sqft:i:400:5000; days_on_market:i:0:180",
    "education": "rating:f:3:5; duration_hours:i:1:60; students:i:50:250000; level:c:beginner/intermediate/advanced",
    "social": "likes:i:0:50000; comments:i:0:3000; shares:i:0:10000; posted:d",
    "crypto": "price_usd:f:0.05:95000; change_24h_pct:f:-15:15; volume_24h_usd:i:1000000:40000000000; rank:i:1:500",
    "calendar": "status:c:confirmed/tentative/cancelled; start:d; attendees:i:1:25; reminder_minutes:i:5:60",
    "translation": "confidence:f:0.7:1; characters:i:5:500; detected_language:c:English/French/Spanish/German/Japanese; formal:b",
    "ecommerce": "status:c:processing/shipped/in transit/delivered; total_usd:f:5:900; estimated_delivery:d; items:i:1:8",
    "transport": "price_usd:f:2:180; duration_minutes:i:5:600; delay_minutes:i:0:45; platform:i:1:24",
    "web": "relevance:f:0:1; published:d; domain:c:example.com/example.org/example.net; words:i:200:5000",
}


@dataclass(frozen=True)
class Param:
    """One shared parameter: its JSON Schema and how values are drawn and worded in a query."""

    name: str
    type: str  # str int num bool enum date time list
    description: str
    fragments: tuple[str, ...]  # query fragments with a {v} slot (bool: the phrases meaning true)
    values: tuple = ()  # train part of the pool (enum: all values; bool: the phrases meaning false)
    heldout: tuple = ()  # held-out part; empty for enums, booleans and lists (their items are split)
    item: str | None = None  # lists: the parameter whose pool the items come from

    def schema(self) -> dict:
        """This parameter's JSON Schema property."""
        out: dict = {"type": _JSON_TYPES[self.type], "description": self.description}
        if self.type == "enum":
            out["enum"] = list(self.values)
        elif self.type == "date":
            out["format"] = "date"
        elif self.type == "time":
            out["pattern"] = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
        elif self.type == "list":
            item = PARAMETER_POOL[self.item]
            out["items"] = {"type": _JSON_TYPES[item.type]}
            out["minItems"] = 1
        return out


_JSON_TYPES = {
    "str": "string",
    "int": "integer",
    "num": "number",
    "bool": "boolean",
    "enum": "string",
    "date": "string",
    "time": "string",
    "list": "array",
}


@dataclass(frozen=True)
class Api:
    """One API of the catalogue.

    ``parameters`` is a JSON Schema object; ``phrasings`` are query templates whose ``{param}`` slots
    take the rendered value (see ``render_value``); the last ``heldout_phrasings`` are for test rows.
    """

    name: str
    category: str
    description: str
    parameters: dict
    phrasings: tuple[str, ...]
    heldout_phrasings: int = HELDOUT_PHRASINGS
    required: tuple[str, ...] = field(default=(), compare=False)

    def schema(self) -> dict:
        """The Hugging Face tool schema (what a chat template's ``tools=`` takes)."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    @property
    def train_phrasings(self) -> tuple[str, ...]:
        return self.phrasings[: len(self.phrasings) - self.heldout_phrasings]

    @property
    def test_phrasings(self) -> tuple[str, ...]:
        return self.phrasings[len(self.phrasings) - self.heldout_phrasings :]


def _make_ids(spec: str, name: str) -> list[str]:
    """Twelve identifiers "PREFIX" + N characters, deterministic per parameter (10 train + 2 held out)."""
    prefix, n = spec[1:].rsplit(":", 1)
    rng = random.Random(name)
    if prefix.startswith("0x"):
        alphabet = "0123456789abcdef"
    elif prefix.endswith("-") or prefix.isdigit():
        alphabet = string.digits
    else:
        alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # VIN and tracking characters: no I, O, Q
    return [prefix + "".join(rng.choice(alphabet) for _ in range(int(n))) for _ in range(12)]


def _date_pool() -> tuple[list[str], list[str]]:
    """Train dates every 5 days over Jan-Oct 2025; held-out dates in December 2025 (ranges never meet)."""
    start = date(2025, 1, 3)
    train = [(start + timedelta(days=5 * k)).isoformat() for k in range(58)]
    heldout = [(date(2025, 12, 1) + timedelta(days=2 * k)).isoformat() for k in range(12)]
    return train, heldout


def open_value(param: Param, rng: random.Random):
    """A fresh value of the parameter's shape, almost surely in no pool: each letter and digit of a
    pool value redrawn (case and punctuation kept), a date in 1990-2039, a valid time.

    A pre-training corpus drawn this way cannot be answered by recalling the pools' few values per
    parameter, only by copying them from the query, which is what the study's held-out values need.
    Enums and booleans keep their pools (their values are the schema's).
    """
    if param.type in ("bool", "enum"):
        return rng.random() < 0.5 if param.type == "bool" else rng.choice(param.values)
    if param.type == "list":
        item = PARAMETER_POOL[param.item]
        return [open_value(item, rng) for _ in range(rng.randint(2, 3))]
    if param.type == "date":
        return (date(1990, 1, 1) + timedelta(days=rng.randrange(50 * 365))).isoformat()
    if param.type == "time":
        return f"{rng.randrange(24):02d}:{rng.randrange(60):02d}"
    template = str(rng.choice(param.values + param.heldout))
    chars = []
    for c in template:
        if c.isdigit():
            # a number's first digit is never 0 (JSON would drop it)
            leading = param.type in ("int", "num") and (not chars or chars[-1:] == ["-"])
            chars.append(rng.choice("123456789" if leading else string.digits))
        elif c.isascii() and c.isalpha():
            chars.append(rng.choice(string.ascii_uppercase if c.isupper() else string.ascii_lowercase))
        else:
            chars.append(c)
    text = "".join(chars)
    return _number(text) if param.type in ("int", "num") else text


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def _parse_params() -> dict[str, Param]:
    params: dict[str, Param] = {}
    for line in _PARAMS.strip().splitlines():
        name, kind, description, fragments, values = (part.strip() for part in (line + " ").split(" | "))
        frags = tuple(f.strip() for f in fragments.split(";"))
        item = None
        if kind.startswith("list:"):
            kind, item = "list", kind.split(":", 1)[1]
            train, heldout = [], []
        elif values.startswith("="):
            source = params[values[1:]]
            train, heldout = list(source.values), list(source.heldout)
        elif values == "*":
            train, heldout = _date_pool()
        elif re.fullmatch(r"#\S+:\d+", values):
            ids = _make_ids(values, name)
            train, heldout = ids[:10], ids[10:]
        else:
            train_text, _, heldout_text = values.partition("||")
            train = [v.strip() for v in train_text.split(";") if v.strip()]
            heldout = [v.strip() for v in heldout_text.split(";") if v.strip()]
        if kind in ("int", "num"):
            train, heldout = [_number(v) for v in train], [_number(v) for v in heldout]
        if set(map(str, train)) & set(map(str, heldout)):
            raise ValueError(f"parameter {name!r}: train and held-out values overlap")
        params[name] = Param(name, kind, description, frags, tuple(train), tuple(heldout), item)
    return params


PARAMETER_POOL: dict[str, Param] = _parse_params()
"""The shared parameters by name (type, description, query fragments, train and held-out values)."""

_SLOT = re.compile(r"\{(\w+)\}")


def slots(template: str) -> list[str]:
    """The ``{param}`` slots of a phrasing, in order."""
    return _SLOT.findall(template)


def render_value(param: Param, value) -> str:
    """How a value reads in a query: strings and numbers verbatim, lists "a, b", booleans a phrase.

    The boolean phrase is picked by the value's truth and the parameter (not at random), so the query
    says which way the flag goes; the phrasing decides the wording of the other types.
    """
    if param.type == "bool":
        return param.fragments[0] if value else param.values[0]
    if param.type == "list":
        return ", ".join(str(v) for v in value)
    return str(value)


def _label(param: Param) -> str:
    text = param.description.split(" (")[0]
    return text if text[1:2].isupper() else text[0].lower() + text[1:]


def _build_api(category: str, line: str) -> Api:
    name_part, noun, required_text, optional_text = (part.strip() for part in line.split("|"))
    name, _, verb_text = name_part.partition("/")
    verb = verb_text or name.split("_")[0]
    required, optional = required_text.split(), optional_text.split()
    for p in required + optional:
        if p not in PARAMETER_POOL:
            raise ValueError(f"API {name!r}: unknown parameter {p!r}; known: {sorted(PARAMETER_POOL)}")
    in_noun = set(slots(noun))
    kind = "read" if verb in _READ_VERBS else "search" if verb in _SEARCH_VERBS else "act"
    phrasings = []
    for i, (head, question) in enumerate(_HEADS[kind]):
        # Optional parameters: all in phrasings 0, 3, 6; all but the last in 1, 4, 7; none in 2, 5.
        keep = len(optional) if i % 3 == 0 else max(0, len(optional) - 1) if i % 3 == 1 else 0
        parts = [noun]
        for p in required + optional[:keep]:
            if p in in_noun:
                continue
            frags = PARAMETER_POOL[p].fragments
            fragment = "{v}" if PARAMETER_POOL[p].type == "bool" else frags[i % len(frags)]
            parts.append(fragment.replace("{v}", "{" + p + "}"))
        body = head.format(n=" ".join(parts), V=verb.capitalize(), v=verb)
        phrasings.append(body + ("?" if question else "."))
    # Description: the noun phrase with its parameters named, as an API reference would say it.
    described = _SLOT.sub(lambda m: "a given " + _label(PARAMETER_POOL[m.group(1)]), noun)
    extra = [PARAMETER_POOL[p] for p in required if p not in in_noun]
    verb_word = "Search for" if verb == "search" else verb.capitalize()
    description = f"{verb_word} {described}"
    if extra:
        labels = [_label(p) for p in extra]
        joined = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
        description += " for a given " + joined
    description += "."
    if optional:
        description += " Optional: " + ", ".join(_label(PARAMETER_POOL[p]) for p in optional) + "."
    properties = {p: PARAMETER_POOL[p].schema() for p in required + optional}
    parameters = {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }
    return Api(name, category, description, parameters, tuple(phrasings), required=tuple(required))


@functools.lru_cache(maxsize=1)
def _all_apis() -> tuple[Api, ...]:
    """Every API, interleaved round-robin over the categories, with ``search`` third.

    Interleaving makes any prefix (and so any frequency range) a mix of categories; ``search`` sits
    among the most frequent tools so that TokMem's exclusion of it is exercised.
    """
    per_category = [
        [_build_api(cat, line) for line in text.strip().splitlines()]
        for cat, text in _APIS.items()
        if cat != "web"
    ]
    ordered = [apis[k] for k in range(max(map(len, per_category))) for apis in per_category if k < len(apis)]
    ordered.insert(2, _build_api("web", _APIS["web"].strip()))
    names = [a.name for a in ordered]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate API names: {sorted({n for n in names if names.count(n) > 1})}")
    return tuple(ordered)


def catalogue(n_apis: int = 320, seed: int = 0) -> list[Api]:
    """The first ``n_apis`` APIs (category-interleaved, ``search`` among them at index 2).

    ``seed`` 0 keeps the canonical order; another seed shuffles the chosen APIs (``search`` stays at
    index 2), so the frequency ranks, and so the rounds' tool sets, change with the seed.
    """
    everything = _all_apis()
    if not 3 <= n_apis <= len(everything):
        raise ValueError(f"n_apis must be in 3..{len(everything)}, got {n_apis}")
    chosen = list(everything[:n_apis])
    if seed:
        rest = chosen[:2] + chosen[3:]
        random.Random(seed).shuffle(rest)
        chosen = [*rest[:2], chosen[2], *rest[2:]]
    return chosen


def api_by_name(name: str) -> Api:
    """The catalogue API called ``name`` (independent of ``n_apis`` and ``seed``)."""
    for api in _all_apis():
        if api.name == name:
            return api
    raise KeyError(f"no API named {name!r} in the catalogue ({len(_all_apis())} APIs)")


@functools.lru_cache(maxsize=4096)
def _validator(schema_json: str):
    from jsonschema import Draft202012Validator, FormatChecker

    return Draft202012Validator(json.loads(schema_json), format_checker=FormatChecker())


def validate_arguments(api: Api, arguments) -> None:
    """Raise ``ToolError`` naming the API and the offending argument when ``arguments`` break the schema."""
    if not isinstance(arguments, dict):
        raise ToolError(f"{api.name}: arguments must be a JSON object, got {type(arguments).__name__}")
    errors = sorted(
        _validator(json.dumps(api.parameters, sort_keys=True)).iter_errors(arguments), key=lambda e: e.path
    )
    if errors:
        error = errors[0]
        where = ".".join(str(p) for p in error.path) or "arguments"
        allowed = ", ".join(api.parameters.get("properties", {}))
        raise ToolError(f"{api.name}: {where}: {error.message} (parameters: {allowed})")


def _field_value(kind: str, args: list[str], rng: random.Random):
    if kind == "f":
        lo, hi = float(args[0]), float(args[1])
        return round(rng.uniform(lo, hi), 2)
    if kind == "i":
        return rng.randint(int(args[0]), int(args[1]))
    if kind == "c":
        return rng.choice(args[0].split("/"))
    if kind == "b":
        return rng.random() < 0.5
    return (date(2025, 1, 1) + timedelta(days=rng.randrange(365))).isoformat()


def execute(api: Api, arguments: dict) -> str:
    """A deterministic mock result (JSON text) for a call; ``ToolError`` when the arguments are invalid.

    Reads return one record, searches a short list (``limit`` long when given, at most 5), actions a
    confirmation; the numbers are plausible for the category and fixed by (name, arguments).
    """
    validate_arguments(api, arguments)
    digest = hashlib.sha256(json.dumps([api.name, arguments], sort_keys=True).encode()).hexdigest()
    rng = random.Random(digest)
    fields = [spec.strip().split(":") for spec in _RESULTS.get(api.category, _RESULTS["web"]).split(";")]

    def record() -> dict:
        return {f[0]: _field_value(f[1], f[2:], rng) for f in fields}

    verb = api.name.split("_")[0]
    result: dict = {"api": api.name, "arguments": dict(sorted(arguments.items()))}
    if verb in _SEARCH_VERBS or api.name == "search":
        n = min(int(arguments.get("limit", 3)), 5)
        result["results"] = [
            {"id": f"{api.category[:3]}-{rng.randrange(10**6):06d}", **record()} for _ in range(n)
        ]
        result["total"] = n + rng.randrange(200)
    elif verb in _READ_VERBS:
        result["result"] = record()
    else:
        result["status"] = "success"
        result["confirmation_id"] = f"{verb.upper()[:3]}-{rng.randrange(10**8):08d}"
        result["result"] = record()
    return json.dumps(result)
