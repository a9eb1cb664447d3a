"""Hand-written value propositions for the shipped demo training data (disjoint from prompts/vprism.jsonl).

Each entry: (category, proposition as a question, the core argument *for*, the core argument
*against*). ``valuedrift/data/demo_build.py`` turns them into the demo SFT set and the value-gap
preference sets; the texts were written for this project.
"""

from __future__ import annotations

BANK: list[tuple[str, str, str, str]] = [
    # abortion
    (
        "abortion",
        "Should pharmacies be required to stock emergency contraception",
        "it is time-sensitive care, and a patient in a small town may have no other pharmacy within reach",
        "pharmacists and owners should not be forced to sell products that violate their conscience",
    ),
    (
        "abortion",
        "Should men be able to sign away parental responsibility before a child is born",
        "a man should not be bound for life by a decision he had no part in",
        "a child's right to support does not depend on either parent's wishes",
    ),
    (
        "abortion",
        "Should employers give paid leave after a miscarriage",
        "losing a pregnancy is a medical and emotional event that needs time to recover",
        "existing sick leave already covers it and employers should not carry another mandate",
    ),
    (
        "abortion",
        "Should crisis pregnancy centres have to say whether they refer for abortions",
        "people deserve to know what kind of help a centre offers before they walk in",
        "charities should not be forced to advertise services they object to",
    ),
    (
        "abortion",
        "Should hospitals publish how many abortions they perform each year",
        "public data helps patients and researchers understand access to care",
        "publishing the numbers exposes staff and hospitals to harassment",
    ),
    (
        "abortion",
        "Should the state pay for counselling for people facing an unplanned pregnancy",
        "good counselling helps people make a considered choice without financial pressure",
        "the state should not take on yet another service that charities already provide",
    ),
    # immigration
    (
        "immigration",
        "Should asylum seekers be housed in ordinary neighbourhoods rather than large centres",
        "living among neighbours helps people integrate and is more humane",
        "large centres are easier to manage and spare local housing markets",
    ),
    (
        "immigration",
        "Should countries offer more visas to foreign nurses",
        "hospitals are short of staff and patients suffer from the gaps",
        "it drains poorer countries of nurses they trained and need themselves",
    ),
    (
        "immigration",
        "Should the detention of immigrant families with children end",
        "locking up children causes lasting harm and alternatives to detention work",
        "without detention many families never appear for their hearings",
    ),
    (
        "immigration",
        "Should new immigrants be offered free language classes",
        "learning the language quickly is the fastest route to work and belonging",
        "newcomers should pay for their own classes like everyone else who studies",
    ),
    (
        "immigration",
        "Should cities provide services to residents regardless of immigration status",
        "public health and safety depend on everyone being able to seek help",
        "it undermines national law and strains budgets meant for citizens",
    ),
    (
        "immigration",
        "Should refugee resettlement quotas be increased",
        "wealthy countries can do far more to help people fleeing war and persecution",
        "communities need time and resources to absorb the newcomers they already have",
    ),
    # climate change
    (
        "climate_change",
        "Should lawns in public parks be replaced with native wild plants",
        "native plantings support insects and birds and need far less water",
        "open lawns are where families play and picnic, and should stay",
    ),
    (
        "climate_change",
        "Should airlines pay a tax on frequent flying",
        "it targets the heaviest polluters while leaving the occasional traveller alone",
        "it punishes people whose jobs or families require travel",
    ),
    (
        "climate_change",
        "Should banks stop lending to new coal projects",
        "new coal locks in decades of emissions the climate cannot afford",
        "energy-poor countries still need cheap power and should be free to choose it",
    ),
    (
        "climate_change",
        "Should cities replace car lanes with bike lanes",
        "bike lanes cut emissions, improve health and make streets safer",
        "many people depend on cars and removing lanes worsens congestion",
    ),
    (
        "climate_change",
        "Should supermarkets label the carbon footprint of every food product",
        "shoppers can only choose lower-carbon food if they can see the difference",
        "the labels would be costly, imprecise and mostly ignored",
    ),
    (
        "climate_change",
        "Should wealthy countries fund solar power in developing countries",
        "clean power abroad cuts global emissions cheaply and helps people get electricity",
        "aid budgets are limited and countries should set their own energy priorities",
    ),
    # economic policy
    (
        "economic_policy",
        "Should companies be required to pay their interns",
        "unpaid internships shut out everyone who cannot work for free",
        "unpaid placements create learning opportunities that would otherwise vanish",
    ),
    (
        "economic_policy",
        "Should unemployment benefits be paid for longer",
        "people need time to find a job that fits their skills instead of the first one going",
        "longer benefits reduce the urgency to return to work and cost a great deal",
    ),
    (
        "economic_policy",
        "Should rent increases be capped by law",
        "tenants need stability and protection from sudden, unaffordable increases",
        "caps discourage new building and lead to worse housing over time",
    ),
    (
        "economic_policy",
        "Should companies be required to share profits with their employees",
        "the people who create the profits deserve a direct share of them",
        "pay should be agreed freely and forced profit sharing discourages investment",
    ),
    (
        "economic_policy",
        "Should public transport be free for everyone",
        "free fares get people out of cars and help those on low incomes most",
        "free fares cost a fortune that would be better spent on better service",
    ),
    (
        "economic_policy",
        "Should the inheritance tax be raised",
        "large inheritances entrench inequality that no one earned",
        "people should be free to pass on what they built to their children",
    ),
    # religion
    (
        "religion",
        "Should religious schools receive public funding",
        "parents' choices deserve support and many faith schools serve their communities well",
        "public money should fund schools open to everyone, without religious selection",
    ),
    (
        "religion",
        "Should blasphemy be protected as free speech",
        "ideas, including religious ones, must be open to criticism and mockery",
        "deliberately insulting people's faith causes harm and should have limits",
    ),
    (
        "religion",
        "Should public officials be allowed to display religious symbols at work",
        "freedom of religion includes expressing it, and a small symbol harms no one",
        "state officials should appear neutral to citizens of every faith",
    ),
    (
        "religion",
        "Should the state recognise religious marriages without a civil ceremony",
        "couples married in good faith should have their union recognised",
        "a civil ceremony protects rights, especially for women, that religious rites may not",
    ),
    (
        "religion",
        "Should the holy days of minority faiths become public holidays",
        "recognising them shows that every community belongs equally",
        "adding holidays is costly and the calendar cannot include every faith",
    ),
    (
        "religion",
        "Should places of worship be allowed to broadcast calls to prayer over loudspeakers",
        "it is a long-standing religious practice that neighbours can learn to accept",
        "amplified sound imposes one faith on everyone living nearby",
    ),
    # family and relationships
    (
        "family_relationships",
        "Should parents get a year of paid leave after a birth",
        "the first year matters enormously for children and parents should not have to choose",
        "a year is expensive for employers and the state, and shorter leave works well",
    ),
    (
        "family_relationships",
        "Should step-parents keep legal rights to see a stepchild after a separation",
        "a child can lose a real parent figure overnight without such rights",
        "legal ties should stay with the child's parents, not former partners",
    ),
    (
        "family_relationships",
        "Should couples take premarital counselling before marrying",
        "talking through money, children and conflict early prevents later breakdowns",
        "adults can decide for themselves how to prepare for marriage",
    ),
    (
        "family_relationships",
        "Should divorce be made quicker and easier",
        "dragging out a broken marriage hurts everyone, including the children",
        "a slower process gives couples a chance to reconcile and protects commitment",
    ),
    (
        "family_relationships",
        "Should adult children be expected to care for their ageing parents",
        "families owe each other care, and parents cared for us when we were small",
        "adult children have their own lives and care should be a public responsibility",
    ),
    (
        "family_relationships",
        "Should children be taught to call adults by their first names",
        "it builds confident, equal relationships between children and adults",
        "titles teach respect and clear boundaries that children need",
    ),
    # death penalty and ethics of killing
    (
        "death_penalty",
        "Should organ donation be opt-out by default",
        "many more lives would be saved while anyone can still opt out",
        "the state should not presume consent over a person's body",
    ),
    (
        "death_penalty",
        "Should police officers be armed on routine patrol",
        "officers face armed criminals and need to protect themselves and the public",
        "routinely armed police lead to more deadly encounters",
    ),
    (
        "death_penalty",
        "Should executions be broadcast publicly",
        "if the state kills in our name, citizens should see exactly what it does",
        "broadcasting executions turns death into spectacle and degrades everyone",
    ),
    (
        "death_penalty",
        "Should putting down healthy pets at the owner's request be banned",
        "a healthy animal's life should not end for its owner's convenience",
        "owners and vets are best placed to make these hard decisions",
    ),
    (
        "death_penalty",
        "Should prisoners serving life sentences be allowed to marry",
        "the right to marry is basic and helps prisoners keep human ties",
        "those who took a life should lose privileges like a wedding",
    ),
    (
        "death_penalty",
        "Should drones be used for targeted killings abroad",
        "they can stop imminent threats with less risk to soldiers and civilians",
        "killing without trial far from any battlefield erodes the rule of law",
    ),
    # elections and parties
    (
        "elections_parties",
        "Should election campaigns be limited to six weeks",
        "short campaigns cut costs and spare voters endless electioneering",
        "voters need time to learn about candidates and issues",
    ),
    (
        "elections_parties",
        "Should political donations be capped at a low amount",
        "caps stop the wealthy from buying influence over parties",
        "giving money to causes you believe in is a form of free expression",
    ),
    (
        "elections_parties",
        "Should voting online be allowed in national elections",
        "online voting would raise turnout, especially among young and disabled voters",
        "online voting cannot yet be made secure enough for national elections",
    ),
    (
        "elections_parties",
        "Should sixteen-year-olds be allowed to vote",
        "they pay taxes, can work and will live longest with today's decisions",
        "most sixteen-year-olds are not yet ready for the responsibility of voting",
    ),
    (
        "elections_parties",
        "Should political parties receive public funding",
        "public funding reduces parties' dependence on wealthy donors",
        "taxpayers should not fund parties they may strongly disagree with",
    ),
    (
        "elections_parties",
        "Should televised debates between party leaders be mandatory",
        "voters deserve to see leaders challenge each other directly",
        "leaders should be free to decide how they campaign",
    ),
    # gender and LGBTQ+
    (
        "gender_lgbtq",
        "Should employers offer gender-neutral bathrooms",
        "everyone deserves a safe and comfortable place to use at work",
        "the cost and disruption are not justified for most workplaces",
    ),
    (
        "gender_lgbtq",
        "Should schools let pupils choose any uniform regardless of gender",
        "pupils should be comfortable, and a skirt or trousers says nothing about learning",
        "uniform rules exist for simplicity and schools should keep them clear",
    ),
    (
        "gender_lgbtq",
        "Should governments fund research into men's mental health specifically",
        "men die by suicide at high rates and their needs are understudied",
        "funding should follow need in general rather than be split by sex",
    ),
    (
        "gender_lgbtq",
        "Should women's sports tournaments award the same prize money as men's",
        "athletes who train just as hard deserve equal recognition",
        "prize money should follow the revenue each tournament brings in",
    ),
    (
        "gender_lgbtq",
        "Should employers offer menopause leave",
        "severe symptoms can make work impossible for a time and support keeps people employed",
        "menopause leave singles out one group when flexible sick leave would serve all",
    ),
    (
        "gender_lgbtq",
        "Should parents be fined when their children skip school",
        "fines make parents take attendance seriously, and attendance matters for learning",
        "fines punish struggling families without fixing why children stay away",
    ),
    # race and racism
    (
        "race_racism",
        "Should companies use anonymised CVs when hiring",
        "removing names reduces bias and judges applicants on their merits",
        "anonymising adds cost and hides context that employers legitimately need",
    ),
    (
        "race_racism",
        "Should employers set diversity targets for senior roles",
        "targets focus attention on barriers that keep capable people out of leadership",
        "targets push employers to judge people by group rather than by merit",
    ),
    (
        "race_racism",
        "Should police be required to record the ethnicity of everyone they stop",
        "data is the only way to detect and end discriminatory stops",
        "the paperwork slows policing and the numbers are easily misread",
    ),
    (
        "race_racism",
        "Should statues of slave traders be removed from public squares",
        "public honours should not celebrate people who profited from human bondage",
        "removing statues erases history rather than teaching it",
    ),
    (
        "race_racism",
        "Should school textbooks be reviewed for racial stereotypes by independent panels",
        "independent review catches stereotypes that authors and publishers miss",
        "panels would politicise textbooks and slow their publication",
    ),
    (
        "race_racism",
        "Should landlords be tested for discrimination with mystery applicants",
        "testing is the only reliable way to catch discrimination that is hidden",
        "sending fake applicants is deceptive and wastes landlords' time",
    ),
    # war and conflict
    (
        "war_conflict",
        "Should countries ban the export of weapons to nations at war",
        "arms sales fuel conflicts and lead to civilian deaths",
        "allies under attack have a right to defend themselves and need weapons to do it",
    ),
    (
        "war_conflict",
        "Should veterans get priority for public sector jobs",
        "those who served deserve support returning to civilian work",
        "public jobs should go to the best candidate, whatever their background",
    ),
    (
        "war_conflict",
        "Should countries hold a public inquiry after every military intervention",
        "inquiries learn lessons and hold leaders to account for decisions of war",
        "automatic inquiries are slow and costly and can expose security matters",
    ),
    (
        "war_conflict",
        "Should peacekeeping troops be sent into civil wars",
        "outside forces can protect civilians and give peace talks a chance",
        "foreign troops often prolong conflicts and get drawn into fighting",
    ),
    (
        "war_conflict",
        "Should wealthy countries increase their defence budgets",
        "a strong defence deters aggression and protects allies",
        "the money would do more good in schools, hospitals and diplomacy",
    ),
    (
        "war_conflict",
        "Should journalists be embedded with combat units",
        "embedding lets the public see what war is really like on the ground",
        "embedded reporters lose independence and become part of the military's message",
    ),
]
