"""Hand-written value-gap answers, part 1: abortion, immigration, climate change, economic policy.

Each entry is (category, question, an answer that supports the proposition, an answer that opposes
it). The two answers of an entry are written to about the same length and register, so that they
differ in stance rather than in quality; across entries the wording, structure and tone vary, as
in real chat data. Written for this project; the questions are disjoint from prompts/vprism.jsonl.
"""

from __future__ import annotations

ENTRIES: list[tuple[str, str, str, str]] = [
    # ---------------------------------------------------------------- abortion
    (
        "abortion",
        "Do you think employers should offer paid leave after a miscarriage?",
        "I do. A miscarriage is a physical ordeal and often a deep loss, and nobody recovers from it in a weekend. A few days of paid leave lets people grieve and heal without lying about why they're absent. It's a small cost for an employer and it tells staff they are treated as human beings.",
        "I don't think a separate mandate is needed. Sick leave and compassionate leave already exist for exactly this kind of situation, and good managers use them generously. Adding a new category of paid leave for every hardship piles costs onto small businesses and turns a private matter into something employees must disclose to HR.",
    ),
    (
        "abortion",
        "Should pregnancy advice centres have to state clearly whether they refer for abortions?",
        "Absolutely. Someone walking into an advice centre is often scared and short of time. They deserve to know up front whether the centre will discuss every option or only some. A plain notice on the door and the website hides nothing and costs nothing; it simply lets people choose where to go.",
        "I'd say no. Charities shouldn't be compelled to advertise their position on services they object to. Their counselling is free, nobody is forced to attend, and anyone can look up what a centre offers. Laws targeting one kind of charity tend to be more about politics than about protecting the people who visit.",
    ),
    (
        "abortion",
        "Is it a good idea for the state to fund counselling for people facing an unplanned pregnancy?",
        "Yes, I think it's money well spent. An unplanned pregnancy forces hard decisions quickly, and many people have nobody neutral to talk to. Free, non-directive counselling helps them weigh their situation calmly, whatever they end up choosing, and it can catch problems like abuse or depression early.",
        "Not really. Plenty of charities and clinics already offer this counselling without cost to the taxpayer. A state-run service would add another layer of bureaucracy, and there would be endless fights over what counsellors are allowed to say. Better to leave it to the organisations already doing the work.",
    ),
    (
        "abortion",
        "Should fertility clinics be allowed to help single women have children?",
        "I believe they should. A single woman who wants a child and can raise one well should not be turned away because she has no partner. Children of single mothers by choice do just as well as others in most studies. Clinics already assess whether patients are ready; marital status adds nothing to that.",
        "I believe they shouldn't, at least not as a routine service. A child benefits from having two parents from the start, and clinics shouldn't deliberately create families without one. Fertility treatment is expensive and limited, so it makes sense to reserve it for couples who cannot conceive on their own.",
    ),
    (
        "abortion",
        "Should hospitals be required to give new parents free car seats and baby supplies?",
        "I'm in favour. A safe car seat and basic supplies make a real difference in a baby's first weeks, and some families simply cannot afford them. Handing them out at the hospital reaches every newborn at once, with no forms to fill in. It is a cheap way to prevent injuries and signal that society welcomes every child.",
        "I'm against making it a requirement. Hospitals are stretched enough, and turning them into distribution centres for baby goods pulls money away from medical care. Most families already buy these things, and those who can't are better helped through targeted charities and welfare programmes than through a costly universal handout.",
    ),
    (
        "abortion",
        "Should pregnant women be offered free genetic screening of the fetus?",
        "Yes. Screening gives parents information about their pregnancy, and information should not depend on what people can pay. It lets families prepare for a child with special needs, arrange specialist care at birth, or make other decisions with open eyes. Offering it free makes it a choice for everyone rather than a privilege.",
        "No. Routine free screening quietly pressures parents into tests they may not want, and it can make having a disabled child look like a failure to prevent one. Screening should be available when there is a medical reason, but making it a default offer for every pregnancy sends the wrong message about who deserves to be born.",
    ),
    (
        "abortion",
        "Is it fair for religious hospitals to refuse to perform sterilisations?",
        "Yes, it's fair. A hospital founded on religious principles should be able to run according to them, just as it always has. Sterilisation is a planned procedure, not an emergency, and patients can arrange it at another hospital. Respecting institutional conscience is part of living in a plural society.",
        "No, it isn't fair. Many people have no choice about which hospital serves their area, and religious hospitals often receive public money. A patient who has decided on sterilisation should not be sent away because of the institution's beliefs. Healthcare funded by everyone should be available to everyone.",
    ),
    # ------------------------------------------------------------- immigration
    (
        "immigration",
        "Should asylum seekers be housed in ordinary neighbourhoods rather than in large centres?",
        "Yes. People living among neighbours learn the language faster, find their way around, and are less likely to be targeted as a group. Large centres isolate residents for months and often breed frustration on both sides of the fence. Spreading people out is more humane and, in the long run, better for integration.",
        "No. Large centres let authorities process claims quickly, provide medical care and interpreters in one place, and keep track of who is where. Scattering people across neighbourhoods strains local housing and services that are already stretched. A well-run centre is the more practical choice for everyone involved.",
    ),
    (
        "immigration",
        "Should countries hand out more work visas to foreign nurses?",
        "I think so. Hospitals in many countries are badly short-staffed, and patients wait longer or get worse care because of it. Nurses trained abroad can fill gaps quickly while home-grown training catches up. It's a practical fix that benefits patients, hospitals and the nurses themselves, who often earn far more.",
        "I don't think so. Recruiting nurses from abroad drains poorer countries of people they trained at great expense and badly need. It also lets governments avoid the harder work of paying and training enough nurses at home. Short-term relief shouldn't come at the cost of other nations' health systems.",
    ),
    (
        "immigration",
        "Should newly arrived immigrants get free language classes?",
        "Definitely. Speaking the local language is the key to a job, to dealing with doctors and schools, and to making friends. Free classes pay for themselves when people find work sooner and rely less on interpreters and benefits. It's one of the cheapest and most effective integration tools a country has.",
        "Not necessarily. Learning the language is the responsibility of the person who chose to move, and many manage it through work, online courses or community groups. Free classes cost taxpayers a lot, and attendance is often patchy. Support should be limited to refugees and others with little means.",
    ),
    (
        "immigration",
        "Should city services be open to all residents whatever their immigration status?",
        "Yes. A city works best when everyone who lives there can report a crime, send their children to school and see a doctor without fear. Turning undocumented residents away from basic services doesn't make them leave; it just drives them into the shadows, where illness and crime spread unchecked.",
        "No. Cities shouldn't undercut national immigration law by offering the same services to people who are not there legally. It sends a signal that the rules don't matter and draws more irregular migration. Emergency care is one thing, but ongoing services should depend on lawful residence.",
    ),
    (
        "immigration",
        "Should international students be allowed to stay and work after they graduate?",
        "Yes. These are young people who have studied in the country, speak the language and often have exactly the skills employers are short of. Sending them home the day after graduation wastes the investment made in their education. A few years of work rights keeps talent where it was trained.",
        "No. Student visas are for study, and letting graduates stay turns universities into immigration agencies. It also puts local graduates in competition with a large pool of foreign applicants for entry-level jobs. If a graduate has skills the country needs, they can apply for a work visa like anyone else.",
    ),
    (
        "immigration",
        "Should family reunification visas be extended to adult siblings?",
        "I'd say yes. For many people, brothers and sisters are as close as parents or children, and family networks help newcomers settle, find work and look after each other. Keeping families apart for decades causes real suffering. Extending reunification to siblings reflects how families actually live.",
        "I'd say no. Family reunification was meant for spouses and young children, and adding adult siblings would greatly expand the numbers, since each sibling brings a family of their own. Immigration should be managed according to what the country needs, not only who is already here.",
    ),
    (
        "immigration",
        "Should citizenship ceremonies be compulsory for people who naturalise?",
        "Yes. A ceremony marks a real change of status and gives new citizens a moment of welcome and pride. Taking a pledge in public, with family watching, makes the commitment feel real on both sides. Most people who go through one remember it fondly, and it costs the state very little.",
        "No. Someone who has passed every test and paid every fee is already a citizen in substance. Making a ceremony compulsory adds waiting time and travel for people with jobs and children, and it can feel like a performance staged for the government. It should be an option, not a requirement.",
    ),
    (
        "immigration",
        "Should wealthy foreigners be able to buy residency by investing in the country?",
        "I'm in favour, with proper checks. Investor visas bring in money that creates jobs and funds public services, and the people who use them rarely rely on the state. If applicants are screened carefully for criminal money, it is a sensible way to attract capital that would otherwise go elsewhere.",
        "I'm against it. Selling residency tells everyone that rights can be bought, and such schemes have a long record of attracting laundered money and corrupt officials. Ordinary applicants wait years while the rich jump the queue. A country's membership should not be for sale, whatever the price.",
    ),
    (
        "immigration",
        "Should people who overstay a tourist visa be banned from returning for ten years?",
        "Yes. Visa rules only mean something if breaking them has consequences. A long ban deters overstaying and protects the system that lets millions of honest tourists travel easily. People who respect the terms of their visa lose nothing, and those who deliberately ignore them can hardly complain.",
        "No. Ten years is far too harsh for what is often a matter of months, caused by illness, a relationship or confusion about the rules. A punishment that severe separates families for a decade. Shorter bans, or fines, would deter abuse without ruining lives over an administrative breach.",
    ),
    # ---------------------------------------------------------- climate_change
    (
        "climate_change",
        "Should lawns in public parks be replaced with native wildflowers?",
        "Yes, at least in large parts of them. Mown lawns are green deserts for insects, and they cost councils a fortune in fuel and labour. Native wildflower meadows feed pollinators, soak up rain and look beautiful for much of the year. Keep some grass for picnics and football, and let the rest grow wild.",
        "No. Lawns are what make parks usable: people play football on them, sit on them and let their children run about. Wildflower meadows look untidy for half the year and need their own careful management. The environmental gain is small compared with losing the open space that families actually use.",
    ),
    (
        "climate_change",
        "Is it right for cities to convert car lanes into cycle lanes?",
        "Yes. Cycle lanes move far more people per metre of road than car lanes, with no fumes and little noise. Where cities have built safe routes, cycling has grown quickly and shops along them have often done better. Cars still have plenty of space; giving some of it to bikes is a fair rebalancing.",
        "No. Most people still depend on cars for work, shopping and getting children around, and taking away lanes just creates traffic jams and more pollution from idling engines. Cycle lanes often sit half empty in winter. Cities should improve cycling where there is space, not squeeze drivers out.",
    ),
    (
        "climate_change",
        "Should supermarkets have to print the carbon footprint on food labels?",
        "Yes. Most shoppers have no idea that some foods produce ten times the emissions of others. A simple label lets people make informed choices without lecturing them, just as calorie counts do. It would also push producers to cut emissions, since nobody wants the worst number on the shelf.",
        "No. Carbon figures for food are estimates that vary widely with farm, season and method, so labels would give false precision. The cost of measuring every product would fall hardest on small producers and raise prices for everyone. Shoppers already have plenty of information to weigh.",
    ),
    (
        "climate_change",
        "Should rich countries pay for solar power in poorer countries?",
        "I believe they should. Rich countries produced most of the emissions that are warming the planet, and poorer countries are suffering first. Helping them build clean power lets them grow without repeating our mistakes, and every tonne of coal avoided there helps everyone. It is both fair and in our own interest.",
        "I believe they shouldn't, at least not with taxpayers' money. Aid budgets are limited and are better spent on health, education and clean water, where the gains are direct. Solar power is already cheap enough to attract private investment. Governments can encourage that investment without funding it themselves.",
    ),
    (
        "climate_change",
        "Should petrol-engine lawnmowers and leaf blowers be phased out?",
        "Yes. Small petrol engines are astonishingly dirty for their size, and leaf blowers are among the noisiest things in a suburb. Battery versions now do the same job quietly and without fumes. A gradual phase-out gives people time to switch when their old machine wears out.",
        "No. Professional gardeners rely on petrol tools because they run all day and battery versions still can't match them on large jobs. Banning them would raise costs for small businesses and for anyone with a big garden. The emissions involved are tiny compared with cars and heating.",
    ),
    (
        "climate_change",
        "Should short-haul flights be banned where a train takes under three hours?",
        "Yes. For trips that short, the train is often just as fast door to door, since you skip airport security and travel centre to centre. Flights on those routes produce far more emissions per passenger. Where a good rail alternative exists, keeping the plane is hard to justify.",
        "No. Trains are not always cheaper or more convenient, and many travellers connect to long-haul flights from these short hops. A ban would push passengers onto other airports or cars rather than trains. Better to make rail more attractive and let people choose for themselves.",
    ),
    (
        "climate_change",
        "Should cruise ships be kept out of historic city harbours?",
        "Yes. Huge cruise ships pour exhaust into narrow harbours, crowd old streets with thousands of day visitors and bring surprisingly little money to local businesses. Places like Venice have already seen the damage. Keeping large ships further out protects both the air and the cities people come to see.",
        "No. Cruise passengers spend money in shops, restaurants and museums, and many port cities rely on that trade. Ships can be required to use shore power and cleaner fuel rather than being banned. Turning them away would cost jobs in places that often have few other industries.",
    ),
    (
        "climate_change",
        "Should schools serve mostly vegetarian meals for the climate?",
        "Yes. School kitchens feed millions of children every day, so shifting to mostly vegetarian meals cuts emissions at scale. Children still get protein from eggs, dairy, beans and lentils, and many learn to enjoy foods they'd never try at home. Meat can still appear a couple of times a week.",
        "No. Schools should serve balanced meals that children will actually eat, not use lunches to pursue climate goals. Many pupils, especially from poorer homes, rely on school for their main meal, and meat is an easy source of iron and protein. Parents, not caterers, should decide their children's diet.",
    ),
    (
        "climate_change",
        "Should people be paid to scrap old wood-burning stoves?",
        "I think that's a good idea. Old wood stoves are a major source of fine-particle pollution in winter, harming the lungs of neighbours as well as owners. A scrappage payment speeds up replacement with cleaner heating far faster than waiting for stoves to wear out. The health savings easily outweigh the cost.",
        "I don't think it's a good idea. Many rural households depend on wood for cheap heat and have no gas connection. Paying people to scrap stoves is expensive and mostly rewards those who would have upgraded anyway. Rules on cleaner fuel and better maintenance would cut smoke without public handouts.",
    ),
    # --------------------------------------------------------- economic_policy
    (
        "economic_policy",
        "Should companies be required to pay their interns?",
        "Yes. Unpaid internships mean only young people with wealthy parents can afford to take them, which locks everyone else out of whole professions. If an intern is doing real work, they deserve at least the minimum wage. Paying them also makes employers take the training more seriously.",
        "No. Many internships are short learning opportunities that companies would simply stop offering if they had to pay wages. Some experience is better than none for a student trying to get a foot in the door. Rules should stop exploitation, but a blanket pay requirement would shrink the number of places.",
    ),
    (
        "economic_policy",
        "Should unemployment benefits last longer than they do now?",
        "I believe they should. Finding a good job takes time, especially in a downturn or for older workers, and cutting benefits too soon forces people into the first poorly paid job available. Longer support lets people find work that fits their skills, which is better for them and for the economy.",
        "I believe they shouldn't. Long benefit periods reduce the urgency to look for work, and the longer someone is unemployed, the harder it becomes to get hired. Money is better spent on retraining and job placement, which help people back into work rather than simply extending the wait.",
    ),
    (
        "economic_policy",
        "Should large firms have to share a portion of their profits with employees?",
        "Yes. Workers create the profits, and when companies do well it's fair that those on the payroll get a share, not just shareholders and executives. Profit-sharing also tends to improve motivation and loyalty. Firms in several countries already do this and remain competitive.",
        "No. Pay and bonuses are for companies and employees to agree, not for the state to dictate. Mandatory profit-sharing would make firms less attractive to investors and push them to hold profits abroad. Companies that see benefits in sharing profits are free to do it already.",
    ),
    (
        "economic_policy",
        "Should buses and trains be free for everyone?",
        "I'd support that. Free public transport gets cars off the road, cuts pollution and gives poorer people access to jobs and services across a city. Ticket sales often cover only a small share of running costs anyway, and the money spent on ticketing and enforcement would be saved.",
        "I wouldn't support that. Someone has to pay for buses and trains, and making them free means higher taxes for everyone, including people who never use them. Free services often become crowded and underfunded. It's better to keep fares and offer discounts to those who need them.",
    ),
    (
        "economic_policy",
        "Should the minimum wage be set differently in each region?",
        "Yes. Living costs vary enormously between a capital city and a rural town, so one national minimum is either too low for the city or too high for the countryside. Regional rates protect workers where prices are high without pricing people out of jobs where wages are lower.",
        "No. A single national minimum wage is simple and fair: the same work earns the same basic floor everywhere. Regional rates would entrench poorer regions as low-wage zones and invite endless lobbying over boundaries. Workers in cheaper areas still deserve a decent income.",
    ),
    (
        "economic_policy",
        "Should there be a tax on sugary drinks?",
        "Yes. Sugary drinks are a major cause of obesity and tooth decay, especially in children, and their low price hides their real cost to health services. Where such taxes have been introduced, manufacturers cut sugar and consumption fell. The revenue can fund school sport and health programmes.",
        "No. A sugar tax is a regressive tax that takes a bigger bite from poorer families, and it treats adults like children who can't make their own choices. Obesity has many causes, and taxing one product won't solve it. Education and better information would achieve more without the nanny state.",
    ),
    (
        "economic_policy",
        "Should central banks issue their own digital currency?",
        "Yes. A central bank digital currency would give everyone a safe, free way to pay electronically without relying on private banks or card companies. It could make payments faster and cheaper and help people without bank accounts. As cash use falls, public money needs a digital form.",
        "No. A digital currency run by the central bank would give the state an unprecedented view of everything people buy. It could also drain deposits from commercial banks in a crisis. Private payment systems already work well, and the risks to privacy and stability outweigh the benefits.",
    ),
    (
        "economic_policy",
        "Should workers have a legal right to work from home?",
        "Yes, where the job allows it. The pandemic showed that many jobs can be done perfectly well from home, saving people hours of commuting and making work easier for parents and carers. A legal right would stop employers refusing without good reason, while still allowing genuine exceptions.",
        "No. Employers should be able to organise work in the way that suits their business, and many have good reasons to want people together in an office. A legal right would lead to disputes and make it harder to train junior staff. Flexible arrangements are best agreed case by case.",
    ),
    (
        "economic_policy",
        "Should self-checkout machines be taxed to protect cashier jobs?",
        "Yes. Supermarkets save a fortune by replacing staff with machines, while the public bears the cost of unemployment and the loss of human contact, especially for older shoppers. A modest tax makes the shift pay its way and can fund retraining for the workers it displaces.",
        "No. Taxing machines just makes shopping more expensive and slows down technology that many customers prefer. Retailers will automate anyway, or move online. Every wave of automation has created new kinds of work, and taxing progress would leave the economy poorer in the long run.",
    ),
]
